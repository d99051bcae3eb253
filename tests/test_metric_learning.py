"""Triplet and contrastive losses against brute force, and P x K batches."""

import itertools

import numpy as np
import pytest

import dlapps
from dlapps.losses import ContrastiveLoss, TripletSemiHardLoss


def brute_force_triplet(labels, embeddings, margin):
    """FaceNet's semi-hard mining, one anchor-positive pair at a time."""
    distances = ((embeddings[:, None] - embeddings[None]) ** 2).sum(-1)
    losses = []
    for a, p in itertools.permutations(range(len(labels)), 2):
        if labels[a] != labels[p]:
            continue
        negatives = [n for n in range(len(labels)) if labels[n] != labels[a]]
        if not negatives:
            continue
        semi_hard = [distances[a, n] for n in negatives if distances[a, n] > distances[a, p]]
        chosen = min(semi_hard) if semi_hard else max(distances[a, n] for n in negatives)
        losses.append(max(distances[a, p] - chosen + margin, 0.0))
    return np.mean(losses)


def brute_force_contrastive(labels, embeddings, margin):
    pulls, pushes = [], []
    for i, j in itertools.permutations(range(len(labels)), 2):
        d = np.linalg.norm(embeddings[i] - embeddings[j])
        if labels[i] == labels[j]:
            pulls.append(d**2)
        else:
            pushes.append(max(margin - d, 0.0) ** 2)
    return np.mean(pulls) + np.mean(pushes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_losses_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 12)
    embeddings = rng.normal(size=(12, 5)).astype("float32")
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    triplet = float(TripletSemiHardLoss(margin=0.3)(labels, embeddings))
    assert triplet == pytest.approx(brute_force_triplet(labels, embeddings, 0.3), rel=1e-4)
    contrastive = float(ContrastiveLoss(margin=1.0)(labels[:, None], embeddings))
    assert contrastive == pytest.approx(brute_force_contrastive(labels, embeddings, 1.0), rel=1e-4)


def test_separated_clusters_cost_nothing_and_a_one_label_batch_is_finite():
    labels = np.array([0, 0, 1, 1])
    embeddings = np.array([[1, 0], [1, 0], [-1, 0], [-1, 0]], "float32")
    assert float(TripletSemiHardLoss(margin=0.2)(labels, embeddings)) == 0.0
    assert float(ContrastiveLoss(margin=1.0)(labels, embeddings)) == pytest.approx(0.0, abs=1e-6)
    same = np.zeros(4, "int32")
    assert float(TripletSemiHardLoss()(same, embeddings)) == 0.0


@pytest.mark.parametrize("loss_class", [TripletSemiHardLoss, ContrastiveLoss])
def test_margin_must_be_positive(loss_class):
    with pytest.raises(ValueError, match="Received: margin=0"):
        loss_class(margin=0)


def test_pk_batches_hold_p_labels_with_k_examples_and_redraw_each_pass():
    labels = np.repeat(np.arange(10), [5, 5, 5, 5, 5, 5, 5, 5, 3, 1])
    batches = dlapps.data.pk_batches(labels, labels_per_batch=3, examples_per_label=4, seed=7)
    first = [b.numpy() for b in batches]
    second = [b.numpy() for b in batches]
    assert len(first) == 3  # 9 labels have two or more examples: 3 groups of 3
    for batch in first:
        counts = np.unique(labels[batch], return_counts=True)[1]
        assert len(counts) == 3 and set(counts) == {4}
        assert 9 not in labels[batch]  # a label with one example has no positive
    assert not all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    again = [b.numpy() for b in dlapps.data.pk_batches(labels, 3, 4, seed=7)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_pk_batches_need_enough_labels():
    with pytest.raises(dlapps.errors.DataError, match="need 4 labels with at least 2"):
        dlapps.data.pk_batches([0, 0, 1, 1, 2], labels_per_batch=4, examples_per_label=2)


@pytest.mark.parametrize("loss", [TripletSemiHardLoss(margin=0.2), ContrastiveLoss(margin=1.0)])
def test_a_small_embedding_learns_to_group_labels_from_pk_batches(loss):
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(12, 16)) * 1.5
    labels = np.repeat(np.arange(12), 10)
    features = (centres[labels] + rng.normal(size=(120, 16))).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((16,)), keras.layers.Dense(8), keras.layers.UnitNormalization()]
    )
    model.compile(keras.optimizers.Adam(0.01), loss=loss)

    def nearest_neighbour_accuracy():
        embeddings = model.predict(features, verbose=0)
        similarity = embeddings @ embeddings.T - 2 * np.eye(len(labels))
        return np.mean(labels[similarity.argmax(axis=1)] == labels)

    before = nearest_neighbour_accuracy()
    batches = dlapps.data.pk_batches(labels, 4, 4, seed=0).map(
        lambda i: (tf.gather(features, i), tf.gather(labels, i))
    )
    model.fit(batches, epochs=20, verbose=0)
    assert nearest_neighbour_accuracy() > max(before + 0.1, 0.8)
