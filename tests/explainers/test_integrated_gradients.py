"""Integrated Gradients: completeness, exactness on linear models, baselines."""

import explained_models as models
import keras
import numpy as np
import pytest

import dlapps
from dlapps.explainers import OutputValue


@pytest.fixture(scope="module")
def linear_model():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, keras.layers.Dense(1, name="score")(inputs))
    model.get_layer("score").set_weights(
        [np.arange(1, 6, dtype="float32")[:, None] / 5, np.array([0.3], "float32")]
    )
    return model


def test_on_a_linear_model_attributions_are_weight_times_input(linear_model):
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    baseline = np.full(5, 0.5, "float32")
    explanation = dlapps.explain(
        linear_model, x, method="integrated_gradients", baseline=baseline, steps=4
    )
    weights = np.arange(1, 6) / 5
    np.testing.assert_allclose(explanation.attributions, weights * (x - baseline), rtol=1e-5)
    assert explanation.kind == "tabular"


@pytest.mark.parametrize("model_name", ["shape_classifier", "wear_model", "next_word_model"])
def test_attributions_sum_to_the_change_of_the_target(model_name, request):
    model = request.getfixturevalue(model_name)
    if model_name == "shape_classifier":
        inputs, options = models.shape_images(4)[0], {}
    elif model_name == "wear_model":
        inputs, options = models.wear_series(4)[0], {"target": OutputValue("rul")}
    else:
        inputs, options = models.agreement_sentences(4)[0], {"features": "embedding"}
    explanation = dlapps.explain(model, inputs, method="integrated_gradients", **options)
    completeness = explanation.extras["completeness"]
    totals = explanation.attributions.reshape(len(inputs), -1).sum(axis=1)
    np.testing.assert_allclose(totals, completeness["sum"], rtol=1e-4, atol=1e-5)
    delta = np.asarray(completeness["delta"])
    assert completeness["passed"], completeness
    assert np.all(np.abs(totals - delta) <= 0.05 * np.abs(delta) + 1e-6)


def test_steps_double_until_complete(shape_classifier):
    images = models.shape_images(2)[0]
    explanation = dlapps.explain(
        shape_classifier, images, method="integrated_gradients", steps=2, tolerance=0.01
    )
    completeness = explanation.extras["completeness"]
    assert completeness["steps"] > 2
    assert completeness["passed"] == (max(completeness["relative_error"]) <= 0.01)


def test_a_bare_model_defaults_to_integrated_gradients(linear_model):
    explanation = dlapps.explain(linear_model, np.ones((2, 5), "float32"))
    assert explanation.method == "integrated_gradients"


def test_a_softmax_dense_layer_is_explained_through_its_logits():
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(4, activation="softmax", name="classes")
    model = keras.Model(inputs, dense(inputs))
    x = np.random.default_rng(1).normal(size=(3, 3)).astype("float32")
    explanation = dlapps.explain(model, x, method="integrated_gradients", target=2)
    kernel, bias = dense.get_weights()
    logit_change = x @ kernel[:, 2]  # logit(x) - logit(0), the bias cancels
    np.testing.assert_allclose(explanation.attributions.sum(axis=1), logit_change, rtol=1e-3)
    # The probability is what is reported, from the model itself.
    np.testing.assert_allclose(
        explanation.predictions, model.predict(x, verbose=0)[:, 2], rtol=1e-5
    )
    assert dense.activation is keras.activations.softmax  # the model itself is unchanged
