"""Runs a multi-worker training cluster on this machine.

`dlapps launch --workers N -- train NAME ...` starts N processes of
`dlapps train NAME ... --strategy multi_worker`, each with a `TF_CONFIG` that
names all N workers on free localhost ports and this process's index. Their
output is shown line by line, prefixed by the worker. When one worker fails
or is killed, the others are stopped (a cluster cannot continue without
it); rerunning the same command resumes from the chief's last backup.

This module does not import TensorFlow.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

STOP_GRACE_SECONDS = 10


def free_ports(count):
    """`count` distinct TCP ports that are free on localhost now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("localhost", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(addresses, index):
    """The `TF_CONFIG` of worker `index` in a cluster of `addresses`."""
    return json.dumps(
        {"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}}
    )


def launch(workers, command, *, out=None, poll_seconds=0.2):
    """Runs `command` in `workers` local processes forming one cluster.

    Args:
        workers: the number of worker processes, >= 1.
        command: the argv of each worker, e.g.
            `[sys.executable, "-m", "dlapps", "train", "perceptron", ...]`.
        out: where the prefixed output goes; `sys.stdout` when `None`.
        poll_seconds: how often the workers' states are checked.

    Returns:
        0 when every worker succeeded, else the exit status of the first
        worker that failed (128 + N for a worker killed by signal N).
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1. Received: workers={workers}")
    out = out or sys.stdout
    addresses = [f"localhost:{port}" for port in free_ports(workers)]
    lock = threading.Lock()
    processes, readers = [], []
    for index in range(workers):
        env = {**os.environ, "TF_CONFIG": tf_config(addresses, index), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        processes.append(process)
        reader = threading.Thread(
            target=_relay, args=(process.stdout, f"[worker {index}] ", out, lock), daemon=True
        )
        reader.start()
        readers.append(reader)
    try:
        status = _wait(processes, poll_seconds)
    except KeyboardInterrupt:
        _stop(processes)
        raise
    for reader in readers:
        reader.join(timeout=STOP_GRACE_SECONDS)
    return status


def _relay(stream, prefix, out, lock):
    for line in stream:
        with lock:
            out.write(prefix + line if line.endswith("\n") else f"{prefix}{line}\n")
            out.flush()


def _wait(processes, poll_seconds):
    """Waits for all workers; stops the rest as soon as one fails."""
    while True:
        codes = [process.poll() for process in processes]
        failed = [(index, code) for index, code in enumerate(codes) if code not in (None, 0)]
        if failed:
            index, code = failed[0]
            _stop(processes)
            reason = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            print(
                f"dlapps: error: worker {index} {reason}; stopped the other workers. Rerun "
                "the same command (with the same --out) to resume from the last backup.",
                file=sys.stderr,
            )
            return 128 - code if code < 0 else code
        if all(code == 0 for code in codes):
            return 0
        time.sleep(poll_seconds)


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
