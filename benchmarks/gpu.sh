#!/usr/bin/env bash
# Training throughput and model FLOPs utilization of every recipe on one
# NVIDIA H200, with mixed_bfloat16 and XLA; about 1 minute per recipe.
#
#   bash benchmarks/gpu.sh [STEPS] [PEAK_TFLOPS]     # defaults: 200, 989 (H200 bf16 dense)
#
# Writes one JSON line per recipe to stdout and to gpu_results.jsonl, then a
# table. See benchmarks/gpu_throughput.py for how each figure is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-200}"
peak="${2:-989}"
python=${PYTHON:-python}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
: > gpu_results.jsonl
for name in $("$python" -c 'import dlapps; print(" ".join(dlapps.list_recipes()))'); do
    timeout 300 "$python" -m benchmarks.gpu_throughput "$name" --steps "$steps" \
        --peak-tflops "$peak" | tail -n 1 | tee -a gpu_results.jsonl
done
"$python" - <<'TABLE'
import json
rows = [json.loads(line) for line in open("gpu_results.jsonl")]
print(f"{'recipe':<24}{'batch':>6}{'XLA':>5}{'samples/s':>12}{'GFLOP/sample':>14}{'TFLOP/s':>9}{'MFU':>8}")
for r in rows:
    print(f"{r['recipe']:<24}{r['batch']:>6}{'on' if r['xla'] else 'off':>5}{r['samples_per_s']:>12,.0f}"
          f"{r['train_flop_per_sample'] / 1e9:>14.3f}{r['achieved_tflops']:>9.2f}{r['mfu']:>8.2%}")
TABLE
