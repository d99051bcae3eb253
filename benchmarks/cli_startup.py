"""CLI start-up: `dlapps list` and `dlapps info` against importing TensorFlow.

The target: `dlapps list` answers in under 1 s. The commands run side by side,
in one process each, several times; the median wall time of each is printed
with its ratio to `import tensorflow` and to the target.

Usage: python benchmarks/cli_startup.py [--repeats N]
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 1.0


def wall_time(command, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    dlapps = str(Path(sys.executable).parent / "dlapps")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "dlapps list": [dlapps, "list"],
        "dlapps info perceptron": [dlapps, "info", "perceptron"],
        "python -c 'import tensorflow'": [sys.executable, "-c", "import tensorflow"],
    }
    results = {name: wall_time(command, repeats) for name, command in commands.items()}
    tensorflow = results["python -c 'import tensorflow'"]
    print(f"median of {repeats} runs each")
    print(f"{'command':<32} {'seconds':>8} {'/ import tf':>12} {'/ 1 s target':>13}")
    for name, seconds in results.items():
        print(
            f"{name:<32} {seconds:>8.3f} {seconds / tensorflow:>12.3f} "
            f"{seconds / TARGET_SECONDS:>13.3f}"
        )
    verdict = "meets" if results["dlapps list"] < TARGET_SECONDS else "MISSES"
    print(f"dlapps list {verdict} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
