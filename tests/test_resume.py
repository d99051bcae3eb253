"""Resume after interruption: kill a training process mid-run, run the same
command again, and check that training continues from the saved epoch."""

import csv
import os
import re
import signal
import subprocess
import sys
import time

EPOCHS = 4


def train_command(run_dir):
    # Enough steps per epoch that the kill lands mid-run.
    return [
        sys.executable,
        "-m",
        "dlapps",
        "train",
        "perceptron",
        "--epochs",
        str(EPOCHS),
        "--set",
        "num_examples=10000",
        "--set",
        "batch_size=8",
        "--out",
        str(run_dir),
    ]


def completed_epochs(run_dir):
    history = run_dir / "history.csv"
    if not history.exists():
        return []
    with history.open() as file:
        return [int(row["epoch"]) for row in csv.DictReader(file)]


def test_killed_training_resumes_from_the_saved_epoch(tmp_path):
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        train_command(run_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + 240
    while len(completed_epochs(run_dir)) < 1 and time.monotonic() < deadline:
        assert first.poll() is None, "training ended before it could be interrupted"
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = completed_epochs(run_dir)
    assert 1 <= len(done_before) < EPOCHS
    assert (run_dir / "checkpoints" / "backup").is_dir()
    assert not (run_dir / "model.keras").exists()

    second = subprocess.run(train_command(run_dir), capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    first_epoch_shown = int(re.search(r"Epoch (\d+)/", second.stdout).group(1))
    # Keras prints epochs from 1; history.csv counts from 0.
    assert first_epoch_shown == max(done_before) + 2
    assert completed_epochs(run_dir) == list(range(EPOCHS))
    assert (run_dir / "model.keras").is_file()
    assert not (run_dir / "checkpoints" / "backup").exists()
