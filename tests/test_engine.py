import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from toy_recipe import ToyClassifier

import dlapps
from dlapps.distributed_fit import global_steps
from dlapps.errors import RunFolderError
from dlapps.run_folder import RunFolder


def test_mixed_precision_trains_and_restores_the_global_policy(tmp_path):
    recipe = ToyClassifier(precision="mixed_float16", epochs=1)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir=tmp_path / "run", verbose=0)
    assert recipe.model.get_layer("dense").dtype_policy.name == "mixed_float16"
    assert isinstance(recipe.model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.config.dtype_policy().name == "float32"
    reloaded = dlapps.load_run(tmp_path / "run")
    assert reloaded.model.get_layer("dense").dtype_policy.name == "mixed_float16"


def test_seed_makes_training_reproducible(tmp_path):
    results = []
    for name in ("a", "b"):
        recipe = ToyClassifier(epochs=1, deterministic=True)
        train, val = recipe.load_data("synthetic")
        recipe.fit(train, val, run_dir=tmp_path / name, verbose=0)
        results.append(recipe.model.get_layer("head").get_weights()[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_best_weights_are_kept_and_early_stopping_stops(tmp_path):
    recipe = ToyClassifier(epochs=30, early_stopping_patience=1, learning_rate=0.5, optimizer="sgd")
    train, val = recipe.load_data("synthetic")
    history = recipe.fit(train, val, run_dir=tmp_path / "run", verbose=0)
    assert len(history.history["loss"]) < 30
    best = min(history.history["val_loss"])
    reloaded = dlapps.load_run(tmp_path / "run")
    loss = reloaded.model.evaluate(val, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(best, rel=1e-4)


def test_run_folder_refuses_foreign_or_changed_runs(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match="exists and is not empty"):
        RunFolder.prepare(tmp_path / "busy", ToyClassifier())
    run = RunFolder.prepare(tmp_path / "run", ToyClassifier())
    run.write_config(ToyClassifier())
    with pytest.raises(RunFolderError, match="other hyperparameters"):
        RunFolder.prepare(tmp_path / "run", ToyClassifier(num_classes=4))
    assert RunFolder.prepare(tmp_path / "run", ToyClassifier()).path == tmp_path / "run"


def test_open_reports_what_is_missing(tmp_path):
    with pytest.raises(RunFolderError, match="Run folder not found"):
        RunFolder.open(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunFolderError, match="no config.json"):
        RunFolder.open(tmp_path / "empty")
    (tmp_path / "empty" / "config.json").write_text(json.dumps({"recipe": "perceptron"}))
    with pytest.raises(RunFolderError, match="training did not finish"):
        RunFolder.open(tmp_path / "empty")


def test_history_keeps_one_row_per_epoch_after_a_resume(tmp_path):
    run = RunFolder(tmp_path)
    (tmp_path / "history.csv").write_text("epoch,loss\n0,0.9\n1,0.8\n1,0.7\n2,0.6\n")
    run.tidy_history()
    assert (tmp_path / "history.csv").read_text() == "epoch,loss\n0,0.9\n1,0.7\n2,0.6\n"


def test_explain_every_puts_explanations_in_tensorboard(tmp_path):
    recipe = ToyClassifier(epochs=2, explain_every=1)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train.take(2), val.take(1), run_dir=tmp_path / "run", verbose=0)
    event_files = list((tmp_path / "run" / "logs" / "explanations").iterdir())
    tags = [
        (value.tag, event.step)
        for event_file in event_files
        for event in tf.compat.v1.train.summary_iterator(str(event_file))
        for value in event.summary.value
    ]
    assert tags == [("explanations/decision_boundary", 0), ("explanations/decision_boundary", 1)]


def test_calibrate_runs_on_the_validation_data_with_the_best_weights_before_evaluation(tmp_path):
    calls = []

    class Calibrated(ToyClassifier):
        def calibrate(self, data):
            saved = keras.saving.load_model(self.run_dir / "model.keras")
            weights_saved = all(
                np.array_equal(a, b)
                for a, b in zip(saved.get_weights(), self.model.get_weights(), strict=True)
            )
            calls.append(("calibrate", data is validation, weights_saved))

        def evaluate(self, data, verbose=0):
            calls.append(("evaluate", data is validation, True))
            return super().evaluate(data, verbose)

    recipe = Calibrated(epochs=1)
    train, validation = recipe.load_data("synthetic")
    recipe.fit(train, validation, run_dir=tmp_path / "run", verbose=0)
    assert calls == [("calibrate", True, True), ("evaluate", True, True)]


def test_cosine_decay_spans_every_training_step():
    recipe = ToyClassifier(learning_rate=0.1, epochs=4)
    schedule = recipe.cosine_decay(steps_per_epoch=5, alpha=0.2)
    assert float(schedule(0)) == pytest.approx(0.1)
    assert float(schedule(10)) == pytest.approx(0.1 * (0.2 + 0.8 * 0.5))  # halfway
    assert float(schedule(20)) == pytest.approx(0.02)
    assert recipe.cosine_decay(steps_per_epoch=None) == 0.1


def test_fit_reads_the_steps_per_epoch_from_the_training_pipeline(tmp_path):
    recipe = ToyClassifier(epochs=1)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train.take(3), val.take(1), run_dir=tmp_path / "run", verbose=0)
    assert recipe.steps_per_epoch == 3
    schedule = recipe.cosine_decay(alpha=0.5)
    assert float(schedule(3)) == pytest.approx(0.5 * recipe.config.learning_rate)
    # A pipeline tf.data cannot count leaves the plain rate.
    recipe.steps_per_epoch = None
    assert global_steps(train.filter(lambda *_: True)) is None
    assert recipe.cosine_decay(alpha=0.5) == recipe.config.learning_rate
