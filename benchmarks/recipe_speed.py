"""Training, input-pipeline and serving speed of one recipe, side by side.

Run by `python -m benchmarks`, once per recipe in a fresh process; prints one
JSON object. Every figure is measured in this one run on the same model
(the recipe's default hyperparameters) and the same synthetic data:

- `dlapps_sps` / `plain_sps`: training samples per second through
  `recipe.fit` (run folder, checkpoints, TensorBoard, CSV log, tuned
  pipeline) and through a hand-written `model.fit` of the same model,
  optimizer, loss and data. Each epoch is the first `steps` batches of the
  training pipeline (repeated), validated on one batch, and lasts about
  `--epoch-seconds`. Each side is one `fit` of `epochs` epochs; the two
  take turns epoch by epoch in one process (`EpochTurns`: D P P D D P
  ...). The first epoch of each side (tracing) and the last (the other
  side may be wrapping up) are left out, and the median epoch of each
  side is reported. `ratio` is plain's median epoch seconds over dlapps'
  (so `dlapps_sps / plain_sps`): on a shared machine single epochs of
  identical work take 2-5x their median now and then, on either side, and
  a median of each side leaves them out. `paired_ratio` is the median,
  over the pairs of epochs run one beside the other, of plain seconds over
  dlapps seconds; a spike on one side of a pair moves it. `fastest_ratio`
  compares the fastest epoch of each side. dlapps spends a fixed 20-150 ms
  per epoch on its resumable backup: a real epoch (minutes) does not notice
  it; a 1-second epoch would.
- `pipeline_sps` / `step_sps`: the training pipeline alone (the first
  `steps` batches of a pass, as the engine tunes it, consumed inside the
  graph as the training step consumes them), against the training step
  alone (one cached batch, repeated).
- `xla_off_sps` / `xla_on_sps`: the plain fit with `jit_compile` off and on
  (`null` when Keras cannot compile the model: string preprocessing).
- `latency_b1_ms` / `serving_b64_sps`: the exported SavedModel's
  `serving_default` at batch 1 (median latency) and batch 64 (throughput).

Usage: python -m benchmarks.recipe_speed NAME [--epoch-seconds S] [--epochs N]
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlapps  # noqa: E402
from benchmarks.epoch_turns import EpochTimer, EpochTurns  # noqa: E402
from dlapps.data.performance import tune_pipeline  # noqa: E402
from dlapps.export import signature_arguments  # noqa: E402


def examples_in(batch):
    """The number of examples in `batch`, as an int64 tensor (also inside
    a graph)."""
    features = batch[0] if isinstance(batch, tuple) else batch
    return tf.shape(tf.nest.flatten(features)[0], out_type=tf.int64)[0]


def batch_size(batch):
    return int(examples_in(batch))


def data(name, steps, **overrides):
    recipe = dlapps.load_recipe(name, **overrides)
    keras.utils.set_random_seed(recipe.config.seed)
    train, val = recipe.load_data("synthetic")
    return recipe, train.repeat().take(steps), val.take(1)


def plain_model(name, steps, jit_compile=False, **overrides):
    """The hand-written baseline's model: build, adapt, compile. Give it
    the overrides of the dlapps side (`epochs` sets the learning-rate
    schedule's length)."""
    recipe, train, val = data(name, steps, **overrides)
    keras.utils.set_random_seed(recipe.config.seed)
    model = recipe.build_model()
    recipe.steps_per_epoch = steps
    recipe.adapt(model, train)
    model.compile(
        optimizer=recipe.make_optimizer(), jit_compile=jit_compile, **recipe.compile_arguments()
    )
    return model, train, val


def plain_fit(name, steps, epochs, jit_compile=False):
    """The hand-written baseline's `model.fit`; the epochs' seconds, the
    first left out."""
    model, train, val = plain_model(name, steps, jit_compile)
    timer = EpochTimer()
    model.fit(train, validation_data=val, epochs=epochs, callbacks=[timer], verbose=0)
    return timer.seconds[1:], model.jit_compile


def samples_per_second(samples, seconds):
    return samples / statistics.median(seconds)


def median_ratio(plain_seconds, seconds):
    """Plain's median epoch over the other side's (below 1: slower than
    plain); a spike of either side's machine does not move it."""
    return statistics.median(plain_seconds) / statistics.median(seconds)


def paired_ratio(plain_seconds, seconds):
    """The median, over epochs run one beside the other, of plain seconds
    over the other side's."""
    return statistics.median(p / s for p, s in zip(plain_seconds, seconds, strict=True))


def pipeline_rate(train, passes=3):
    """Samples per second of the training pipeline alone, tuned as the
    engine tunes it. The batches are consumed inside the graph, as the
    training step consumes them (`Dataset.reduce`), so Python's per-batch
    cost does not count; the fastest of `passes` passes is reported."""
    tuned = tune_pipeline(train)

    rates = []
    for _ in range(passes):
        start = time.perf_counter()
        samples = int(tuned.reduce(tf.constant(0, tf.int64), lambda n, b: n + examples_in(b)))
        rates.append(samples / (time.perf_counter() - start))
    return max(rates)


def step_rate(model, train, steps):
    """The training step alone: one batch, cached, repeated."""
    cached = train.take(1).cache().repeat()
    samples = batch_size(next(iter(train)))
    timer = EpochTimer()
    model.fit(cached, steps_per_epoch=steps, epochs=3, callbacks=[timer], verbose=0)
    return samples * steps / min(timer.seconds[1:])


def serving(recipe, folder, repeats=20):
    exported = recipe.export(Path(folder) / "export")
    function = tf.saved_model.load(str(exported)).signatures["serving_default"]
    _, input_signature = recipe.serving_signatures()["serving_default"]
    examples = recipe.signature_examples()["serving_default"]

    def batch_of(size):
        def take(values):
            values = tf.convert_to_tensor(values)
            return tf.gather(values, tf.range(size) % tf.shape(values)[0])

        return signature_arguments(input_signature, tf.nest.map_structure(take, examples))

    one, many = batch_of(1), batch_of(64)
    for _ in range(3):
        function(**one)
        function(**many)
    latencies = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(**one)
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(repeats // 4):
        function(**many)
    throughput = 64 * (repeats // 4) / (time.perf_counter() - start)
    return 1000 * statistics.median(latencies), throughput


def steps_for(name, seconds, probe=5):
    """Batches per epoch for epochs of about `seconds`: scaled from a fit of
    `probe` batches, then once more from a fit of that many (an epoch's
    fixed costs make the short probe overestimate a batch's time)."""
    steps = probe
    for _ in range(2):
        probe_seconds, _ = plain_fit(name, steps, epochs=2)
        steps = max(probe, min(20000, round(seconds * steps / min(probe_seconds))))
    return steps


def dlapps_fit(recipe, train, val, run_dir, timer):
    """A function of no arguments that runs `recipe.fit` (for
    `EpochTurns.run`), `timer` its last callback."""
    return lambda: recipe.fit(train, val, run_dir=run_dir, callbacks=[timer], verbose=0)


def hand_written_fit(model, train, val, epochs, timer, callbacks=()):
    """A function of no arguments that runs the baseline's `model.fit` of
    `epochs` epochs (for `EpochTurns.run`), `timer` its last callback."""
    return lambda: model.fit(
        train, validation_data=val, epochs=epochs, callbacks=[*callbacks, timer], verbose=0
    )


def measure(name, epoch_seconds, epochs):
    steps = steps_for(name, epoch_seconds)
    with tempfile.TemporaryDirectory() as folder:
        plain, plain_train, plain_val = plain_model(name, steps, epochs=epochs)
        recipe, train, val = data(name, steps, epochs=epochs, jit_compile=False)
        turns = EpochTurns(("dlapps", "plain"), epochs)
        turns.run(
            dlapps=dlapps_fit(recipe, train, val, Path(folder) / "run", turns.timer("dlapps")),
            plain=hand_written_fit(plain, plain_train, plain_val, epochs, turns.timer("plain")),
        )
        # The first epoch of each side traces its functions; in the last,
        # the other side may be wrapping up (dlapps saves and evaluates).
        dlapps_seconds = turns.timer("dlapps").seconds[1:-1]
        plain_seconds = turns.timer("plain").seconds[1:-1]
        samples = sum(batch_size(batch) for batch in train)
        pipeline_sps = pipeline_rate(train)
        step_sps = step_rate(plain, train, steps)
        xla_seconds, compiled = plain_fit(name, steps, epochs=4, jit_compile=True)
        latency, throughput = serving(recipe, folder)
    plain_sps = samples_per_second(samples, plain_seconds)
    dlapps_sps = samples_per_second(samples, dlapps_seconds)
    return {
        "recipe": name,
        "steps": steps,
        "samples_per_epoch": samples,
        "dlapps_sps": dlapps_sps,
        "plain_sps": plain_sps,
        "ratio": median_ratio(plain_seconds, dlapps_seconds),
        "paired_ratio": paired_ratio(plain_seconds, dlapps_seconds),
        "fastest_ratio": min(plain_seconds) / min(dlapps_seconds),
        "dlapps_epoch_seconds": dlapps_seconds,
        "plain_epoch_seconds": plain_seconds,
        "pipeline_sps": pipeline_sps,
        "step_sps": step_sps,
        "xla_off_sps": plain_sps,
        "xla_on_sps": samples_per_second(samples, xla_seconds) if compiled else None,
        "latency_b1_ms": latency,
        "serving_b64_sps": throughput,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--epoch-seconds", type=float, default=10.0, help="target epoch length")
    parser.add_argument(
        "--epochs",
        type=int,
        default=16,
        help="epochs of each side; the first and last are left out",
    )
    args = parser.parse_args()
    print(json.dumps(measure(args.name, args.epoch_seconds, args.epochs)))


if __name__ == "__main__":
    main()
