"""The benchmark table: every registered recipe, side by side, in one run.

Per recipe, in a fresh process each (`benchmarks/recipe_speed.py` says how
each figure is measured): training samples/s through dlapps against a
hand-written `model.fit` (target: ratio >= 0.97), the input pipeline
against the training step (target: >= 3x), XLA off and on, and the
exported SavedModel's latency at batch 1 and throughput at batch 64. Then
the wall time of `dlapps list` and of `import dlapps`.

Usage: python -m benchmarks [PATTERN] [--epoch-seconds S] [--json FILE]
"""

import argparse
import json
import os
import platform
import subprocess
import sys

import dlapps
from benchmarks.cli_startup import wall_time

OVERHEAD_TARGET = 0.97
PIPELINE_TARGET = 3.0


def recipe_row(name, epoch_seconds):
    command = [sys.executable, "-m", "benchmarks.recipe_speed", name]
    command += ["--epoch-seconds", str(epoch_seconds)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"benchmark of {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fmt(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def print_table(rows):
    header = (
        f"{'recipe':<24}{'dlapps/s':>10}{'plain/s':>10}{'ratio':>7}{'paired':>7}"
        f"{'pipeline/s':>12}{'step/s':>9}{'pipe/step':>10}"
        f"{'XLA off/s':>10}{'XLA on/s':>10}{'on/off':>7}"
        f"{'SM b1 ms':>10}{'SM b64/s':>10}"
    )
    print(header)
    for row in rows:
        xla = row["xla_on_sps"] / row["xla_off_sps"] if row["xla_on_sps"] else None
        print(
            f"{row['recipe']:<24}{fmt(row['dlapps_sps']):>10}{fmt(row['plain_sps']):>10}"
            f"{row['ratio']:>7.3f}{row['paired_ratio']:>7.3f}"
            f"{fmt(row['pipeline_sps']):>12}{fmt(row['step_sps']):>9}"
            f"{row['pipeline_sps'] / row['step_sps']:>10.1f}"
            f"{fmt(row['xla_off_sps']):>10}{fmt(row['xla_on_sps']):>10}{fmt(xla, 2):>7}"
            f"{fmt(row['latency_b1_ms'], 1):>10}{fmt(row['serving_b64_sps']):>10}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pattern", nargs="?", help="fnmatch pattern of recipe names")
    parser.add_argument("--epoch-seconds", type=float, default=10.0)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    print(f"{platform.platform()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}")
    rows = []
    for name in dlapps.list_recipes(args.pattern):
        rows.append(recipe_row(name, args.epoch_seconds))
        print(f"measured {name}: ratio {rows[-1]['ratio']:.3f}", file=sys.stderr, flush=True)
    print_table(rows)
    list_seconds = wall_time([sys.executable, "-m", "dlapps", "list"], repeats=5)
    import_seconds = wall_time([sys.executable, "-c", "import dlapps"], repeats=5)
    print(f"dlapps list: {list_seconds:.3f} s; import dlapps: {import_seconds:.3f} s (median of 5)")
    overhead = [row["ratio"] for row in rows]
    paired = [row["paired_ratio"] for row in rows]
    pipeline = [row["pipeline_sps"] / row["step_sps"] for row in rows]
    print(
        f"dlapps/plain: min {min(overhead):.3f} (target >= {OVERHEAD_TARGET}; "
        f"paired epochs: min {min(paired):.3f}); "
        f"pipeline/step: min {min(pipeline):.1f} (target >= {PIPELINE_TARGET})"
    )
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"rows": rows, "list_s": list_seconds, "import_s": import_seconds}, file)


if __name__ == "__main__":
    main()
