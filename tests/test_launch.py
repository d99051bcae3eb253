"""`dlapps launch`: a local multi-worker cluster through the CLI, and resume
after one worker is killed."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_resume import completed_epochs

from dlapps.cli import main
from dlapps.launch import free_ports, launch, tf_config

EPOCHS = 3


def launch_command(run_dir, *extra):
    return [
        sys.executable,
        "-m",
        "dlapps",
        "launch",
        "--workers",
        "2",
        "--",
        "train",
        "perceptron",
        "--epochs",
        str(EPOCHS),
        "--out",
        str(run_dir),
        *extra,
    ]


def worker_pids(launcher_pid):
    """The worker processes the launcher started, by worker index."""
    workers = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
            if int(fields["PPid"]) != launcher_pid:
                continue
            environ = (status.parent / "environ").read_bytes().split(b"\0")
        except (OSError, KeyError, ValueError):
            continue
        for entry in environ:
            if entry.startswith(b"TF_CONFIG="):
                index = json.loads(entry[len(b"TF_CONFIG=") :])["task"]["index"]
                workers[index] = int(status.parent.name)
    return workers


def test_tf_config_names_every_worker_and_this_task():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    addresses = [f"localhost:{port}" for port in ports]
    config = json.loads(tf_config(addresses, 2))
    assert config == {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": 2}}


def test_output_is_prefixed_and_a_failing_worker_stops_the_others():
    code = (
        "import json, os, sys, time; index = json.loads(os.environ['TF_CONFIG'])['task']['index']; "
        "print('hello'); sys.exit(3) if index == 1 else time.sleep(60)"
    )
    out = io.StringIO()
    started = time.monotonic()
    assert launch(2, [sys.executable, "-c", code], out=out) == 3
    assert time.monotonic() - started < 30  # worker 0 did not sleep its minute
    assert sorted(out.getvalue().splitlines()) == ["[worker 0] hello", "[worker 1] hello"]


def test_launch_refuses_other_commands_and_strategies(capsys):
    assert main(["launch", "--workers", "2", "--", "evaluate", "runs/x"]) == 2
    assert "launch runs 'train NAME [OPTIONS]'" in capsys.readouterr().err
    assert main(["launch", "--workers", "2", "--", "train", "perceptron", "--strategy", "mirrored"])
    assert "--strategy multi_worker" in capsys.readouterr().err
    assert main(["launch", "--workers", "0", "--", "train", "perceptron"]) == 2


def test_killed_worker_stops_the_cluster_and_a_rerun_resumes(tmp_path):
    run_dir = tmp_path / "run"
    # Enough steps per epoch that the kill lands mid-run.
    extra = ["--set", "num_examples=4000", "--set", "batch_size=8"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        launch_command(run_dir, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 240
    while len(completed_epochs(run_dir)) < 1 and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.2)
    workers = worker_pids(first.pid)
    assert sorted(workers) == [0, 1]
    os.kill(workers[1], signal.SIGKILL)
    _, stderr = first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGKILL
    assert "worker 1 was killed by signal 9; stopped the other workers" in stderr
    done_before = completed_epochs(run_dir)
    assert 1 <= len(done_before) < EPOCHS
    assert not (run_dir / "model.keras").exists()

    second = subprocess.run(
        launch_command(run_dir, *extra), capture_output=True, text=True, env=env
    )
    assert second.returncode == 0, second.stderr[-3000:]
    first_epoch = int(re.search(r"\[worker 0\] Epoch (\d+)/", second.stdout).group(1))
    assert first_epoch == max(done_before) + 2  # Keras counts epochs from 1
    assert completed_epochs(run_dir) == list(range(EPOCHS))
    assert (run_dir / "model.keras").is_file()
    assert "Worker done; the chief writes the run folder" in second.stdout
    assert json.loads((run_dir / "metrics.json").read_text())["accuracy"] > 0.9


@pytest.mark.parametrize("argv", [["--out", "x"], ["--out=x"]])
def test_out_is_read_in_both_spellings(argv):
    from dlapps.cli import _option_value

    assert _option_value(["train", "p", *argv], "--out") == "x"
