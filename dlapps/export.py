"""Export for serving: SavedModel (TF Serving) and TFLite (on device).

Exports are written into a temporary folder beside the target, reloaded and
compared with the Keras model, and only then renamed into place: a failed
export never leaves a half-written model where a server would look for it.
"""

import os
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dlapps.atomic import atomic_path
from dlapps.errors import ExportError

FORMATS = ("saved_model", "tflite")
RTOL = 1e-4
ATOL = 1e-5


def default_signatures(model):
    """`serving_default` for a single-input model: raw input in, `outputs` out."""
    spec = model.inputs[0]
    input_signature = [tf.TensorSpec(spec.shape, spec.dtype, name="inputs")]

    def serve(inputs):
        return {"outputs": model(inputs, training=False)}

    return {"serving_default": (serve, input_signature)}


def export(recipe, path, format="saved_model"):
    """Exports `recipe.model` with the recipe's serving signatures.

    Args:
        recipe: a recipe with a trained model.
        path: target folder (`saved_model`) or file (`tflite`); must not exist.
        format: `"saved_model"` or `"tflite"`.

    Returns:
        The `Path` written.

    Raises:
        ExportError: `path` exists, or the reloaded export's outputs differ
            from the Keras model's.
    """
    if format not in FORMATS:
        raise ExportError(
            f"Unknown export format. Expected one of {FORMATS}. Received: format={format!r}"
        )
    path = Path(path).expanduser()
    if path.exists():
        raise ExportError(f"Export target exists; remove it or choose another path: {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp-"))
    try:
        saved_model = workdir / "saved_model"
        signatures = recipe.serving_signatures()
        write_saved_model(recipe.model, signatures, saved_model)
        examples = recipe.signature_examples()
        expected = {name: serve(fn, examples[name]) for name, (fn, _) in signatures.items()}
        verify_saved_model(saved_model, signatures, examples, expected)
        if format == "saved_model":
            os.rename(saved_model, path)
        else:
            names = tuple(recipe.tflite_signatures)
            unknown = [name for name in names if name not in signatures]
            if unknown:
                raise ExportError(
                    f"tflite_signatures names signatures the recipe does not serve; expected "
                    f"some of {sorted(signatures)}. Received: tflite_signatures={names}"
                )
            flatbuffer = convert_to_tflite(saved_model, names)
            for name in names:
                verify_tflite(flatbuffer, name, signatures[name], examples[name], expected[name])
            with atomic_path(path) as tmp:
                tmp.write_bytes(flatbuffer)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return path


def write_saved_model(model, signatures, path):
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, (fn, input_signature) in signatures.items():
        archive.add_endpoint(name, fn, input_signature=input_signature)
    archive.write_out(str(path), verbose=False)


def serve(function, inputs):
    """Calls a serving function on raw inputs: a tuple holds one value per
    argument (e.g. a probe image and a template)."""
    return function(*inputs) if isinstance(inputs, tuple) else function(inputs)


def signature_arguments(input_signature, inputs):
    """Maps raw inputs onto a signature's named arguments (a tuple holds one
    value per argument, as for `serve`)."""
    values = inputs if isinstance(inputs, tuple) else [inputs]
    return {
        spec.name: tf.convert_to_tensor(value, spec.dtype)
        for spec, value in zip(input_signature, values, strict=True)
    }


def verify_saved_model(path, signatures, examples, expected):
    """Reloads a SavedModel and compares every signature's outputs on its
    example inputs (`examples[name]`) with `expected[name]`."""
    loaded = tf.saved_model.load(str(path))
    for name, (_, input_signature) in signatures.items():
        if name not in loaded.signatures:
            raise ExportError(f"Exported SavedModel lacks signature '{name}': {path}")
        got = loaded.signatures[name](**signature_arguments(input_signature, examples[name]))
        _compare(f"SavedModel signature '{name}'", expected[name], got)


def convert_to_tflite(saved_model, signature_keys=("serving_default",)):
    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(saved_model), signature_keys=list(signature_keys)
    )
    return converter.convert()


def verify_tflite(flatbuffer, name, signature, inputs, expected):
    """Runs TFLite signature `name` on `inputs` and compares its outputs
    with `expected`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    runner = interpreter.get_signature_runner(name)
    _, input_signature = signature
    arguments = {k: v.numpy() for k, v in signature_arguments(input_signature, inputs).items()}
    _compare(f"TFLite {name}", expected, runner(**arguments))


def _compare(what, expected, got):
    for key, value in expected.items():
        if key not in got:
            raise ExportError(f"{what} lacks output '{key}'.")
        want = np.asarray(value)
        have = np.asarray(got[key])
        if not outputs_match(want, have):
            gap = (
                np.max(np.abs(want - have))
                if want.shape == have.shape and want.dtype.kind in "fiuc"
                else "n/a"
            )
            raise ExportError(
                f"{what} output '{key}' differs from the Keras model's (max abs difference {gap})."
            )


def outputs_match(expected, actual, rtol=RTOL, atol=ATOL):
    """Numbers agree within tolerance; strings and other values exactly."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.shape != actual.shape:
        return False
    if expected.dtype.kind in "fiuc" and actual.dtype.kind in "fiuc":
        return bool(np.allclose(expected, actual, rtol=rtol, atol=atol))
    return bool(np.array_equal(expected, actual))
