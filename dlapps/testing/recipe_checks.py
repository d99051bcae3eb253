"""Checks every recipe must pass; used by the contract test and recipe tests.

Each `run_*_test` takes a recipe (trained with `train_for_test` where a model
is needed) and asserts real behaviour: outputs, shapes, round trips, files.
"""

import copy
import json
import math
import subprocess
import sys
import textwrap

import keras
import numpy as np
import tensorflow as tf

from dlapps.config import RecipeConfig
from dlapps.export import serve, signature_arguments
from dlapps.recipe import Recipe
from dlapps.registry import get_recipe_class
from dlapps.run_folder import MODEL

TEST_STEPS = 4
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _as_class(recipe_or_name):
    if isinstance(recipe_or_name, str):
        return get_recipe_class(recipe_or_name)
    return recipe_or_name if isinstance(recipe_or_name, type) else type(recipe_or_name)


def train_for_test(recipe_or_name, run_dir, steps=TEST_STEPS, **overrides):
    """Trains a recipe a few steps on its synthetic data, with its
    `smoke_overrides`; returns `(recipe, val)`."""
    recipe_class = _as_class(recipe_or_name)
    recipe = recipe_class(**{**recipe_class.smoke_overrides, **overrides})
    train, val = recipe.load_data("synthetic")
    recipe.fit(train.take(steps), val.take(steps), run_dir=run_dir, verbose=0)
    return recipe, val.take(steps)


def run_metadata_test(recipe_or_name):
    """Name, task, summary and declarations are present and well formed."""
    recipe_class = _as_class(recipe_or_name)
    assert issubclass(recipe_class, Recipe)
    for attribute in ("name", "task", "summary"):
        value = getattr(recipe_class, attribute)
        assert isinstance(value, str) and value.strip(), f"{attribute} is empty"
        assert "\n" not in value, f"{attribute} must be one line"
    assert issubclass(recipe_class.config_class, RecipeConfig)
    assert recipe_class.metric_names, "metric_names declares no metric"
    assert recipe_class.explain_methods, "explain_methods declares no method"
    recipe_class.config_class(**recipe_class.smoke_overrides)


def run_light_import_test(name):
    """Reading a recipe's metadata must not import TensorFlow or Keras."""
    code = textwrap.dedent(
        f"""
        import sys, dlapps
        recipe = dlapps.get_recipe_class({name!r})
        print(recipe.name, recipe.task, recipe.summary, sep="|")
        heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
        assert not heavy, f"importing the recipe imported {{heavy}}"
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def run_run_folder_test(recipe):
    """`fit` wrote a complete run folder."""
    run_dir = recipe.run_dir
    for name in ("config.json", "history.csv", "metrics.json", MODEL, "model_card.md"):
        assert (run_dir / name).is_file(), f"run folder lacks {name}"
    assert (run_dir / "logs").is_dir() and any((run_dir / "logs").iterdir())
    config = json.loads((run_dir / "config.json").read_text())
    assert config["recipe"] == recipe.name
    assert config["config"] == recipe.config.to_dict()


def run_serialization_test(recipe):
    """`model.keras` reloads under `safe_mode=True` with equal outputs, and
    the model's config round-trips."""
    inputs = recipe.example_inputs()
    reloaded = keras.saving.load_model(
        recipe.run_dir / MODEL, custom_objects=recipe.custom_objects(), safe_mode=True
    )
    _assert_all_close(recipe.model.predict(inputs, verbose=0), reloaded.predict(inputs, verbose=0))
    config = recipe.model.get_config()
    # from_config consumes its argument, so it gets a copy.
    revived = recipe.model.__class__.from_config(
        copy.deepcopy(config), custom_objects=recipe.custom_objects()
    )
    # JSON, because a round trip may turn tuples into lists.
    assert json.dumps(revived.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


def run_export_test(recipe, path):
    """The SavedModel reloads with `tf.saved_model.load` and its signatures
    give the same outputs as the recipe's serving functions."""
    exported = recipe.export(path)
    loaded = tf.saved_model.load(str(exported))
    examples = recipe.signature_examples()
    signatures = recipe.serving_signatures()
    assert "serving_default" in loaded.signatures
    for name, (function, input_signature) in signatures.items():
        inputs = examples[name]
        served = loaded.signatures[name](**signature_arguments(input_signature, inputs))
        for key, value in serve(function, inputs).items():
            _assert_all_close(value, served[key])
    return exported


def run_mixed_precision_test(recipe, policy):
    """The model computes under the mixed `policy` but keeps its outputs in
    float32; under `mixed_float16` the optimizer scales the loss."""
    policies = {layer.dtype_policy.name for layer in recipe.model.layers}
    assert policy in policies, f"no layer computes in {policy}: {sorted(policies)}"
    for output in tf.nest.flatten(recipe.model.outputs):
        if "float" in output.dtype:
            assert output.dtype == "float32", f"output {output.name} is {output.dtype}"
    if policy == "mixed_float16":
        assert isinstance(recipe.model.optimizer, keras.optimizers.LossScaleOptimizer)


def run_evaluate_test(recipe, data):
    """`evaluate` returns every declared metric as a finite float."""
    metrics = recipe.evaluate(data)
    missing = set(recipe.metric_names) - set(metrics)
    assert not missing, f"evaluate() lacks declared metrics {sorted(missing)}"
    for key, value in metrics.items():
        assert isinstance(value, float) and math.isfinite(value), f"{key}={value!r}"
    return metrics


def run_predict_test(recipe):
    """`predict` returns one JSON-ready dict per input."""
    inputs = recipe.example_inputs()
    results = recipe.predict(inputs)
    assert len(results) == len(tf.nest.flatten(inputs)[0])
    json.dumps(results)
    return results


def run_explain_test(recipe, path):
    """The default explanation, with the randomization check, is finite,
    aligned with the explained input, and passes the check (unless the map is
    too small to rank); every other declared method renders a PNG too."""
    inputs = recipe.example_inputs()
    explanation = recipe.explain(inputs, sanity_check=True)
    _check_explanation(explanation, path)
    sanity = explanation.sanity
    assert sanity.passed or not sanity.applicable, f"default method {explanation.method}: {sanity}"
    for method in recipe.explain_methods[1:]:
        _check_explanation(recipe.explain(inputs, method=method), path)
    return explanation


def run_cli_explain_test(recipe, path):
    """`dlapps explain RUN_DIR INPUT...` on the recipe's example inputs writes
    a PNG and a JSON summary with the sanity-check result."""
    from dlapps.cli import main

    inputs = recipe.example_cli_inputs(path)
    out = path / "explanations"
    assert main(["explain", str(recipe.run_dir), *inputs, "--out", str(out)]) == 0
    method = recipe.explain_methods[0]
    assert (out / f"{method}.png").read_bytes()[:8] == PNG_MAGIC
    summary = json.loads((out / f"{method}.json").read_text())
    assert summary["inputs"] == list(inputs)
    assert summary["sanity_check"] is not None
    # One label per explained item: an input, or a pair of inputs.
    items = len(inputs) // 2 if summary["kind"] == "image_pair" else len(inputs)
    assert len(summary["labels"]) == items
    return summary


def _check_explanation(explanation, path):
    attributions = np.asarray(explanation.attributions)
    assert attributions.shape == np.asarray(explanation.inputs).shape, explanation.method
    assert np.all(np.isfinite(attributions)), explanation.method
    assert np.all(np.isfinite(np.asarray(explanation.predictions, "float64")))
    assert len(explanation.labels) == len(attributions)
    figure = explanation.save(path / f"{explanation.method}.png")
    assert figure.read_bytes()[:8] == PNG_MAGIC


def _assert_all_close(expected, actual, rtol=1e-4, atol=1e-5):
    if isinstance(expected, dict):  # a model with named outputs
        assert set(expected) == set(actual), (sorted(expected), sorted(actual))
        for key, value in expected.items():
            _assert_all_close(value, actual[key], rtol, atol)
        return
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.dtype.kind in "fiuc":
        np.testing.assert_allclose(expected, actual, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(expected, actual)
