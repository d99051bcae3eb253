"""Where dlapps' training time goes, against plain Keras, piece by piece.

Four sides train the same recipe model on the same synthetic data, one
epoch each per round, in one process:

- `dlapps`: `recipe.fit` (run folder, backup, best weights, TensorBoard,
  CSV log, tuned pipeline);
- `plain`: a hand-written `model.fit`, no callbacks;
- `tuned`: `plain` on the pipeline as the engine tunes it;
- `callbacks`: `plain` with the engine's callbacks, on the raw pipeline.

The order of the four rotates every round, so each goes first, second,
third and last equally often. Prints each side's epoch seconds and, per
side, the median over rounds of plain seconds over its seconds (below 1:
slower than plain).

Usage: python -m benchmarks.overhead_breakdown NAME [--epoch-seconds S] [--rounds N]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import keras

from benchmarks.recipe_speed import EpochTimer, data, fit_one_epoch, plain_model, steps_for
from dlapps import engine
from dlapps.data.performance import tune_pipeline
from dlapps.run_folder import RunFolder

ORDER = ("dlapps", "plain", "tuned", "callbacks")


class PlainSide:
    """One epoch of a hand-written `model.fit` per call, timed."""

    def __init__(self, name, steps, epochs, tuned=False, callbacks=()):
        self.model, self.train, self.val = plain_model(name, steps, epochs=epochs)
        if tuned:
            self.train = tune_pipeline(self.train)
            self.val = tune_pipeline(self.val, deterministic=True)
        self.callbacks = list(callbacks)
        self.timer = EpochTimer()

    def epoch(self, epoch):
        fit_one_epoch(self.model, self.train, self.val, epoch, [*self.callbacks, self.timer])


class RotatingRounds(keras.callbacks.Callback):
    """Times each epoch of the dlapps fit it is given to, and runs the
    plain sides' epochs before or after it, in the order of this round."""

    def __init__(self, sides):
        super().__init__()
        self.sides, self.seconds = sides, []

    def _order(self, epoch):
        shift = epoch % len(ORDER)
        return ORDER[shift:] + ORDER[:shift]

    def on_epoch_begin(self, epoch, logs=None):
        order = self._order(epoch)
        for side in order[: order.index("dlapps")]:
            self.sides[side].epoch(epoch)
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        order = self._order(epoch)
        for side in order[order.index("dlapps") + 1 :]:
            self.sides[side].epoch(epoch)


def breakdown(name, epoch_seconds, rounds):
    steps = steps_for(name, epoch_seconds)
    with tempfile.TemporaryDirectory() as folder:
        callbacks_recipe, _, callbacks_val = data(name, steps)
        run = RunFolder.prepare(Path(folder) / "callbacks", callbacks_recipe)
        epochs = rounds + 1  # the same learning-rate schedule on every side
        callbacks = engine._callbacks(run, callbacks_recipe, callbacks_val, None)
        sides = {
            "plain": PlainSide(name, steps, epochs),
            "tuned": PlainSide(name, steps, epochs, tuned=True),
            "callbacks": PlainSide(name, steps, epochs, callbacks=callbacks),
        }
        rotating = RotatingRounds(sides)
        recipe, train, val = data(name, steps, epochs=epochs, jit_compile=False)
        recipe.fit(train, val, run_dir=Path(folder) / "run", callbacks=[rotating], verbose=0)
    # The first round traces every side's functions.
    seconds = {"dlapps": rotating.seconds[1:]}
    seconds.update({side: plain.timer.seconds[1:] for side, plain in sides.items()})
    return steps, seconds


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
        ratios = [p / s for p, s in zip(seconds["plain"], seconds[side], strict=True)]
        print(f"plain/{side:<10} median of rounds {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
