"""Every registered recipe trains under MirroredStrategy on two logical CPUs
and on a two-process multi-worker cluster started by `dlapps.launch`.

A step on two replicas (one batch each) computes what one device averaging
the gradients of the same two batches computes (`gradient_accumulation_steps
=2`), so the losses match it; they match only within a tolerance because
layers that draw random numbers (dropout, augmentation, quantization noise)
draw other numbers on two replicas. Both workers end with identical weights.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dlapps
from dlapps.launch import launch

SCRIPT = Path(__file__).parent / "distributed" / "train_every_recipe.py"
RECIPES = dlapps.list_recipes()
RANDOM_LAYERS_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("distributed")
    mirrored = subprocess.run(
        [sys.executable, str(SCRIPT), "mirrored", str(out)], capture_output=True, text=True
    )
    assert mirrored.returncode == 0, mirrored.stderr[-5000:]
    output = io.StringIO()
    status = launch(2, [sys.executable, str(SCRIPT), "multi_worker", str(out)], out=output)
    assert status == 0, output.getvalue()[-5000:]
    return out


def final_loss(out, name, run):
    return json.loads((out / f"{name}-{run}.json").read_text())["loss"][-1]


def weights(out, name, run):
    arrays = np.load(out / f"{name}-{run}.npz")
    return [arrays[f"arr_{index}"] for index in range(len(arrays.files))]


@pytest.mark.parametrize("name", RECIPES)
def test_mirrored_training_matches_one_device(results, name):
    reference = final_loss(results, name, "reference")
    mirrored = final_loss(results, name, "mirrored")
    assert mirrored == pytest.approx(reference, rel=RANDOM_LAYERS_TOLERANCE)


@pytest.mark.parametrize("name", RECIPES)
def test_multi_worker_training_matches_and_workers_agree(results, name):
    chief = weights(results, name, "multi_worker-chief")
    worker = weights(results, name, "multi_worker-worker")
    assert len(chief) == len(worker) > 0
    for chief_array, worker_array in zip(chief, worker, strict=True):
        np.testing.assert_array_equal(chief_array, worker_array)
    loss = final_loss(results, name, "multi_worker-chief")
    assert loss == final_loss(results, name, "multi_worker-worker")
    assert loss == pytest.approx(
        final_loss(results, name, "reference"), rel=RANDOM_LAYERS_TOLERANCE
    )


def test_only_the_chief_writes_the_run_folder(results):
    for name in RECIPES:
        run = results / name / "multi_worker"
        assert (run / "model.keras").is_file()
        assert (run / "metrics.json").is_file()
        assert not (run / "checkpoints" / "backup").exists()
