"""Training throughput and model FLOPs utilization of one recipe on a GPU.

Trains the recipe's default model with `precision=mixed_bfloat16` and
`jit_compile=true` through `recipe.fit` for two epochs of `--steps` batches
of its synthetic data (the first epoch, with tracing and XLA compilation,
is left out) and prints one JSON object:

- `samples_per_s`: training examples per second;
- `train_flop_per_sample`: 3 x the forward pass's floating-point operations
  per example (the backward pass costs about twice the forward one), counted
  by TensorFlow's profiler on the frozen forward graph; ops inside a
  `tf.while_loop` (a recurrent layer's steps) count once, so recurrent
  models are under-counted;
- `mfu`: achieved FLOP/s (`samples_per_s x train_flop_per_sample`) over the
  GPU's dense bf16 peak, `--peak-tflops` (989 for an NVIDIA H100 or H200
  SXM).

Run by `benchmarks/gpu.sh` for every recipe. On a machine without a GPU it
runs on the CPU, which only checks that the script works.

Usage: python -m benchmarks.gpu_throughput NAME [--steps N] [--peak-tflops T]
"""

import argparse
import json
import os
import statistics
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.framework.convert_to_constants import (  # noqa: E402
    convert_variables_to_constants_v2,
)

import dlapps  # noqa: E402
from benchmarks.epoch_turns import EpochTimer  # noqa: E402
from benchmarks.recipe_speed import batch_size  # noqa: E402

H200_BF16_DENSE_TFLOPS = 989.0


def forward_flops(model, features):
    """Floating-point operations of one forward pass on `features`."""
    spec = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), features)
    forward = tf.function(lambda inputs: model(inputs, training=False))
    frozen = convert_variables_to_constants_v2(forward.get_concrete_function(spec))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(
        graph=frozen.graph, run_meta=tf.compat.v1.RunMetadata(), cmd="op", options=options
    )
    return profile.total_float_ops


def measure(name, steps, peak_tflops):
    recipe = dlapps.load_recipe(
        name, epochs=2, precision="mixed_bfloat16", jit_compile=True, deterministic=False
    )
    keras.utils.set_random_seed(recipe.config.seed)
    train, val = recipe.load_data("synthetic")
    train = train.repeat().take(steps)
    features, *_ = next(iter(train))
    samples = batch_size((features,)) * steps
    timer = EpochTimer()
    with tempfile.TemporaryDirectory() as folder:
        recipe.fit(train, val.take(1), run_dir=f"{folder}/run", callbacks=[timer], verbose=0)
    samples_per_s = samples / statistics.median(timer.seconds[1:])
    per_sample = 3 * forward_flops(recipe.model, features) / batch_size((features,))
    achieved = samples_per_s * per_sample
    return {
        "recipe": name,
        "device": ", ".join(d.name for d in tf.config.list_logical_devices("GPU")) or "CPU",
        "steps": steps,
        "batch": batch_size((features,)),
        "xla": bool(recipe.model.jit_compile),
        "samples_per_s": samples_per_s,
        "train_flop_per_sample": per_sample,
        "achieved_tflops": achieved / 1e12,
        "mfu": achieved / (peak_tflops * 1e12),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--steps", type=int, default=200, help="batches per epoch")
    parser.add_argument("--peak-tflops", type=float, default=H200_BF16_DENSE_TFLOPS)
    args = parser.parse_args()
    print(json.dumps(measure(args.name, args.steps, args.peak_tflops)))


if __name__ == "__main__":
    main()
