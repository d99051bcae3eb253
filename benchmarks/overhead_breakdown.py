"""Where dlapps' training time goes, against plain Keras, piece by piece.

Four sides train the same recipe model on the same synthetic data, each
in one `fit` of many epochs, taking turns epoch by epoch in one process
(`EpochTurns`):

- `dlapps`: `recipe.fit` (run folder, backup, best weights, TensorBoard,
  CSV log, tuned pipeline);
- `plain`: a hand-written `model.fit`, no callbacks;
- `tuned`: `plain` on the pipeline as the engine tunes it;
- `callbacks`: `plain` with the engine's callbacks, on the raw pipeline.

The order of the four rotates every round, so each goes first, second,
third and last equally often. Prints each side's epoch seconds and, per
side, plain's median epoch over its median epoch (below 1: slower than
plain), with the median over rounds of the same ratio beside it.

Usage: python -m benchmarks.overhead_breakdown NAME [--epoch-seconds S] [--rounds N]
"""

import argparse
import statistics
import tempfile
from pathlib import Path

from benchmarks.epoch_turns import EpochTurns
from benchmarks.recipe_speed import (
    data,
    dlapps_fit,
    hand_written_fit,
    median_ratio,
    paired_ratio,
    plain_model,
    steps_for,
)
from dlapps import engine
from dlapps.data.performance import tune_pipeline
from dlapps.run_folder import RunFolder

SIDES = ("dlapps", "plain", "tuned", "callbacks")


def baseline_fit(name, steps, epochs, timer, tuned=False, callbacks=()):
    """A function that runs a fresh baseline model's `model.fit`, on the
    pipeline as the engine tunes it if `tuned`."""
    model, train, val = plain_model(name, steps, epochs=epochs)
    if tuned:
        train = tune_pipeline(train)
        val = tune_pipeline(val, deterministic=True)
    return hand_written_fit(model, train, val, epochs, timer, callbacks)


def breakdown(name, epoch_seconds, rounds):
    steps = steps_for(name, epoch_seconds)
    epochs = rounds + 2  # the first (tracing) and last (wrap-up) rounds are left out
    turns = EpochTurns(SIDES, epochs)
    with tempfile.TemporaryDirectory() as folder:
        callbacks_recipe, _, callbacks_val = data(name, steps)
        run = RunFolder.prepare(Path(folder) / "callbacks", callbacks_recipe)
        callbacks = engine._callbacks(run, callbacks_recipe, callbacks_val, None)
        recipe, train, val = data(name, steps, epochs=epochs, jit_compile=False)
        turns.run(
            dlapps=dlapps_fit(recipe, train, val, Path(folder) / "run", turns.timer("dlapps")),
            plain=baseline_fit(name, steps, epochs, turns.timer("plain")),
            tuned=baseline_fit(name, steps, epochs, turns.timer("tuned"), tuned=True),
            callbacks=baseline_fit(
                name, steps, epochs, turns.timer("callbacks"), callbacks=callbacks
            ),
        )
    return steps, {side: turns.timer(side).seconds[1:-1] for side in SIDES}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--epoch-seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    steps, seconds = breakdown(args.name, args.epoch_seconds, args.rounds)
    print(f"{args.name}: {steps} batches an epoch, {args.rounds} rounds")
    for side, values in seconds.items():
        epochs = " ".join(f"{value:.2f}" for value in values)
        print(f"{side:<10} median {statistics.median(values):6.2f} s   {epochs}")
    for side in ("dlapps", "tuned", "callbacks"):
        print(
            f"plain/{side:<10} {median_ratio(seconds['plain'], seconds[side]):.3f}"
            f"   (median of rounds {paired_ratio(seconds['plain'], seconds[side]):.3f})"
        )


if __name__ == "__main__":
    main()
