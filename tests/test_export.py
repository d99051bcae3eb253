import numpy as np
import pytest
import tensorflow as tf
from toy_recipe import ToyClassifier

import dlapps.export
from dlapps.errors import ExportError


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    recipe = ToyClassifier(epochs=1)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir=tmp_path_factory.mktemp("toy") / "run", verbose=0)
    return recipe


def test_default_signature_serves_raw_inputs(trained, tmp_path):
    path = trained.export(tmp_path / "model" / "1")
    loaded = tf.saved_model.load(str(path))
    x = trained.example_inputs()
    served = loaded.signatures["serving_default"](inputs=tf.constant(x))["outputs"]
    np.testing.assert_allclose(served, trained.model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_failed_export_leaves_nothing_behind(trained, tmp_path, monkeypatch):
    def broken(*args):
        raise ExportError("SavedModel signature 'serving_default' output differs")

    monkeypatch.setattr(dlapps.export, "verify_saved_model", broken)
    with pytest.raises(ExportError, match="differs"):
        trained.export(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_mismatching_outputs_fail_verification(trained, tmp_path):
    signatures = trained.serving_signatures()
    dlapps.export.write_saved_model(trained.model, signatures, tmp_path / "sm")
    x = trained.example_inputs()
    wrong = {"serving_default": {"outputs": trained.model.predict(x, verbose=0) + 1.0}}
    with pytest.raises(ExportError, match="differs from the Keras model"):
        dlapps.export.verify_saved_model(tmp_path / "sm", signatures, {"serving_default": x}, wrong)


def test_tflite_export_matches_keras(trained, tmp_path):
    path = trained.export(tmp_path / "model.tflite", format="tflite")
    assert path.read_bytes()[4:8] == b"TFL3"


def test_tflite_export_holds_the_signatures_the_recipe_names(trained, tmp_path, monkeypatch):
    monkeypatch.setattr(trained, "tflite_signatures", ("missing",))
    with pytest.raises(ExportError, match=r"Received: tflite_signatures=\('missing',\)"):
        trained.export(tmp_path / "model.tflite", format="tflite")
    assert list(tmp_path.iterdir()) == []


def test_export_rejects_unknown_format_and_existing_target(trained, tmp_path):
    with pytest.raises(ExportError, match="Received: format='onnx'"):
        trained.export(tmp_path / "m", format="onnx")
    (tmp_path / "m").mkdir()
    with pytest.raises(ExportError, match="Export target exists"):
        trained.export(tmp_path / "m")


def test_exported_outputs_compare_numbers_with_tolerance_and_strings_exactly():
    from dlapps.export import outputs_match

    assert outputs_match([1.0, 2.0], [1.0, 2.0 + 1e-7])
    assert not outputs_match([1.0, 2.0], [1.0, 2.1])
    assert not outputs_match([1.0, 2.0], [1.0, 2.0, 3.0])
    assert outputs_match(np.array([b"jazz", b"rock"]), np.array([b"jazz", b"rock"]))
    assert not outputs_match(np.array([b"jazz"]), np.array([b"rock"]))
