"""Targets beyond a class index, on text, series, spectrograms, pairs and autoencoders."""

import explained_models as models
import keras
import numpy as np
import pytest
import tensorflow as tf

import dlapps
from dlapps.errors import ConfigError
from dlapps.explainers import (
    NextWordProbability,
    OutputValue,
    PairSimilarity,
    ReconstructionError,
)


def test_next_word_probability_points_at_the_subject(next_word_model):
    prefixes, next_words = models.agreement_sentences(8, seed=3)
    explanation = dlapps.explain(
        next_word_model,
        prefixes,
        method="integrated_gradients",
        features="embedding",
        target=NextWordProbability(),
        sanity_check=True,
    )
    assert explanation.kind == "tokens"
    assert explanation.inputs.shape == explanation.attributions.shape == (8, 6)
    assert list(explanation.inputs[0][:2]) == prefixes[0].split()[:2]
    # The subject (first word) alone decides the verb; padding gets nothing.
    assert (np.abs(explanation.attributions).argmax(axis=1) == 0).all()
    assert (explanation.attributions[explanation.inputs == ""] == 0).all()
    probability = explanation.predictions[0]
    assert explanation.labels[0] == f"next word {next_words[0]!r} (p={probability:.2f})"
    assert explanation.extras["completeness"]["passed"]
    assert explanation.sanity.passed, explanation.sanity
    vocabulary_size = len(next_word_model.get_layer("vectorize").get_vocabulary())
    assert explanation.target == (
        f"NextWordProbability(index=None, class_names=<{vocabulary_size} values>, "
        "logits=True, word=None)"
    )


def test_probability_of_a_given_word(next_word_model):
    prefixes = np.array(["dog the old", "cat very big"])
    explanation = dlapps.explain(
        next_word_model, prefixes, features="embedding", target=NextWordProbability("barks")
    )
    probabilities = next_word_model(tf.constant(prefixes)).numpy()
    vocabulary = next_word_model.get_layer("vectorize").get_vocabulary()
    np.testing.assert_allclose(
        explanation.predictions, probabilities[:, vocabulary.index("barks")], rtol=1e-5
    )
    # "dog" speaks for "barks"; "cat" speaks against it.
    assert explanation.attributions[0, 0] > 0 > explanation.attributions[1, 0]


def test_an_unknown_word_is_a_user_error(next_word_model):
    with pytest.raises(ConfigError, match="not in the model's vocabulary. Received: word='purrs'"):
        dlapps.explain(
            next_word_model,
            np.array(["cat the"]),
            features="embedding",
            target=NextWordProbability("purrs"),
        )


def test_remaining_useful_life_points_at_the_drifting_sensor(wear_model):
    readings, targets = models.wear_series(8, seed=3)
    for method in ("integrated_gradients", "occlusion"):
        explanation = dlapps.explain(
            wear_model,
            readings,
            method=method,
            target=OutputValue("rul", label="RUL"),
            baseline=readings.mean(axis=(0, 1)),
            feature_names=[f"s{i}" for i in range(models.SENSORS)],
            sanity_check=True,
        )
        assert explanation.kind == "series"
        assert explanation.attributions.shape == readings.shape
        per_sensor = np.abs(explanation.attributions).sum(axis=(0, 1))
        assert per_sensor.argmax() == models.SIGNAL_SENSOR, (method, per_sensor)
        assert explanation.sanity.applicable
    # Integrated Gradients' maps share the (input - baseline) factor with those
    # of the randomized model (rank correlation 0.43 here, close to the
    # threshold); occlusion's do not.
    assert explanation.method == "occlusion" and explanation.sanity.passed, explanation.sanity
    served = wear_model.predict(readings, verbose=0)["rul"][:, 0]
    np.testing.assert_allclose(explanation.predictions, served, rtol=1e-4)
    assert explanation.labels[0] == f"RUL = {served[0]:.4g}"


def test_a_model_with_several_outputs_needs_the_output_named(wear_model):
    readings, _ = models.wear_series(2)
    with pytest.raises(ConfigError, match="several outputs; name the one to explain"):
        dlapps.explain(wear_model, readings)


def test_spectrogram_attributions_are_time_by_frequency(tone_classifier):
    clips, labels = models.tones(4, seed=3)
    explanation = dlapps.explain(
        tone_classifier,
        clips,
        method="gradcam",
        features="log_mel",
        layout="spectrogram",
        class_names=["low", "middle", "high"],
        sanity_check=True,
    )
    frames = explanation.inputs.shape[1]
    assert explanation.inputs.shape == explanation.attributions.shape == (4, frames, 32)
    assert explanation.labels[0].startswith(("low", "middle", "high"))
    assert explanation.sanity.passed, explanation.sanity


def test_pair_similarity_explains_each_face_against_the_other(shape_classifier):
    embed = models.embedding_model(shape_classifier)
    images, _, _ = models.shape_images(6, seed=4)
    first, second = images[:3], images[3:]
    explanation = dlapps.explain(
        embed,
        (first, second),
        method="gradcam",
        target=PairSimilarity(threshold=0.9),
        sanity_check=True,
    )
    assert explanation.kind == "image_pair"
    assert explanation.inputs.shape == explanation.attributions.shape == (3, 2, 24, 24, 3)
    np.testing.assert_array_equal(explanation.inputs[:, 1], second)
    embeddings = [embed.predict(side, verbose=0) for side in (first, second)]
    cosine = np.sum(embeddings[0] * embeddings[1], axis=1)
    np.testing.assert_allclose(explanation.predictions, cosine, rtol=1e-5)
    assert explanation.labels[0].startswith(f"similarity = {cosine[0]:.3f} (")
    assert explanation.sanity.passed, explanation.sanity


def test_pair_inputs_must_be_two_batches(shape_classifier):
    embed = models.embedding_model(shape_classifier)
    images, _, _ = models.shape_images(2)
    with pytest.raises(ConfigError, match="pass inputs=\\(first, second\\)"):
        dlapps.explain(embed, (images, images, images), target=PairSimilarity())


def test_reconstruction_error_points_at_what_is_restored_worst(autoencoder):
    images, _, boxes = models.shape_images(6, seed=8)
    explanation = dlapps.explain(
        autoencoder,
        images,
        method="occlusion",
        target=ReconstructionError(),
        sanity_check=True,
    )
    assert (explanation.attributions.reshape(len(images), -1).max(axis=1) > 0).all()
    restored = autoencoder.predict(images, verbose=0)
    mse = ((restored - images) ** 2).reshape(len(images), -1).mean(axis=1)
    np.testing.assert_allclose(explanation.predictions, mse, rtol=1e-4)
    assert explanation.labels[0] == f"reconstruction MSE = {mse[0]:.4g}"
    assert explanation.sanity.passed, explanation.sanity


def test_class_activation_maps_reach_any_layer_of_a_model_cut_at_features(tone_classifier):
    # The explained part starts at `log_mel`, a copy of the model's graph from
    # there; the named convolution is found in that copy.
    clips, _ = models.tones(3, seed=5)
    maps = [
        dlapps.explain(
            tone_classifier,
            clips,
            method="gradcam",
            features="log_mel",
            layout="spectrogram",
            penultimate_layer=layer,
            time_step=0.016,
            frequencies=list(range(32)),
        )  # fmt: skip
        for layer in ("conv1", "conv2")
    ]
    for explanation in maps:
        assert np.all(np.isfinite(explanation.attributions))
        assert explanation.extras["time_step"] == 0.016
        assert explanation.extras["frequencies"] == list(range(32))
    assert not np.allclose(maps[0].attributions, maps[1].attributions)


def test_a_class_activation_layer_must_cut_the_model():
    inputs = keras.Input((8, 8, 1))
    a = keras.layers.Conv2D(4, 3, padding="same", name="a")(inputs)
    b = keras.layers.Conv2D(4, 3, padding="same", name="b")(a)
    x = keras.layers.Add(name="residual")([a, b])
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    images = np.random.default_rng(0).normal(size=(2, 8, 8, 1)).astype("float32")
    with pytest.raises(ConfigError, match="must cut the model.*penultimate_layer='b'"):
        dlapps.explain(model, images, method="gradcam", penultimate_layer="b")
    explanation = dlapps.explain(model, images, method="gradcam", penultimate_layer="residual")
    assert explanation.attributions.shape == images.shape
