"""Figures of every layout, the JSON summary, and the TensorBoard callback."""

import json

import explained_models as models
import numpy as np
import pytest
import tensorflow as tf

import dlapps
from dlapps.explainers import Explanation, OutputValue, PairSimilarity, SanityCheck

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def explanations(request):
    shape_classifier = request.getfixturevalue("shape_classifier")
    images, _, _ = models.shape_images(3, seed=1)
    clips, _ = models.tones(2)
    readings, _ = models.wear_series(2)
    yield dlapps.explain(shape_classifier, images, method="gradcam", sanity_check=True)
    yield dlapps.explain(
        models.embedding_model(shape_classifier), (images[:2], images[1:]),
        method="saliency", target=PairSimilarity(0.5),
    )  # fmt: skip
    yield dlapps.explain(
        request.getfixturevalue("tone_classifier"), clips, method="gradcam",
        features="log_mel", layout="spectrogram",
    )  # fmt: skip
    yield dlapps.explain(
        request.getfixturevalue("next_word_model"), models.agreement_sentences(2)[0],
        features="embedding",
    )  # fmt: skip
    yield dlapps.explain(
        request.getfixturevalue("wear_model"), readings, target=OutputValue("rul"),
        feature_names=["a", "b", "c", "d"],
    )  # fmt: skip
    yield dlapps.explain(shape_classifier, images[:1], method="activation_maximization", steps=5)


def test_every_layout_renders_a_png(request, tmp_path):
    kinds = []
    for explanation in explanations(request):
        path = explanation.save(tmp_path / f"{explanation.kind}-{explanation.method}.png")
        assert path.read_bytes()[:8] == PNG_MAGIC
        json.dumps(explanation.to_dict())
        kinds.append(explanation.kind)
    assert set(kinds) == {"image", "image_pair", "spectrogram", "tokens", "series"}


def test_title_names_method_sanity_and_completeness():
    explanation = Explanation(
        method="integrated_gradients",
        kind="tabular",
        inputs=np.ones((1, 3)),
        attributions=np.ones((1, 3)),
        predictions=np.ones(1),
        labels=["score = 1"],
        extras={"completeness": {"relative_error": [0.012]}},
        sanity=SanityCheck(0.91),
    )
    assert explanation.title == (
        "integrated gradients | sanity check FAILED: map barely changes with random weights "
        "(rank corr. 0.91 >= 0.5) | completeness error 1.2%"
    )
    assert explanation.plot()._suptitle.get_color() == "tab:red"


def test_an_unknown_kind_cannot_be_drawn():
    explanation = Explanation("m", "hologram", np.ones((1, 2)), np.ones((1, 2)), np.ones(1))
    with pytest.raises(ValueError, match="No renderer for explanation kind"):
        explanation.plot()


def test_callback_writes_explanation_images_to_tensorboard(tmp_path):
    images, labels, _ = models.shape_images(64, seed=3)
    model = models.shape_classifier_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    callback = dlapps.callbacks.ExplanationImages(
        images[:2], tmp_path, every_n_epochs=2, method="gradcam", sanity_check=True
    )
    model.fit(images, labels, epochs=4, verbose=0, callbacks=[callback])
    steps = []
    for event_file in (tmp_path / "explanations").iterdir():
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                assert value.tag == "explanations/gradcam"
                image = tf.make_ndarray(value.tensor)  # [width, height, PNG]
                assert image[2][:8] == PNG_MAGIC
                steps.append(event.step)
    assert steps == [1, 3]


def test_callback_checks_its_period():
    with pytest.raises(ValueError, match="every_n_epochs must be >= 1"):
        dlapps.callbacks.ExplanationImages(np.ones((1, 2)), "logs", every_n_epochs=0)
