"""Long `fit` calls that take turns, epoch by epoch, in one process."""

import threading
import time

import keras


class EpochTurns:
    """Runs several `fit` calls of many epochs each, one epoch at a time,
    in an order rotated every epoch: with two sides A B B A A B ..., with
    four A B C D B C D A C D A B ...

    Each side's `fit` runs in a thread of its own, but only one trains at a
    time: its callback waits at the start of each epoch for the side's turn
    and hands the turn on at the end. Every side takes every place in the
    order equally often, a slow spell of the machine falls on the epochs
    of one round alike, and every side is what users run: one `fit` over
    all epochs (on this machine one `fit` per epoch is measurably faster
    than one long `fit`, so the sides must be driven alike).

    Args:
        sides: the names of the sides, in their order for the first epoch.
        epochs: the epochs of each side's `fit`.

    Example:

    >>> turns = EpochTurns(("dlapps", "plain"), epochs=15)
    >>> turns.run(dlapps=lambda: recipe.fit(..., callbacks=[turns.timer("dlapps")]),
    ...           plain=lambda: model.fit(..., callbacks=[turns.timer("plain")]))
    >>> turns.timer("dlapps").seconds  # one per epoch
    """

    def __init__(self, sides, epochs):
        sides = tuple(sides)
        self.order = []
        for epoch in range(epochs):
            shift = epoch % len(sides)
            self.order += [(side, epoch) for side in sides[shift:] + sides[:shift]]
        self._turn = 0
        self._condition = threading.Condition()
        self._error = None
        self._timers = {side: _TurnTimer(self, side) for side in sides}

    def timer(self, side):
        """The callback that makes `side`'s `fit` take its turns; give it
        last, so an epoch is timed to the end of every callback before it.
        Its `seconds` lists the epochs' wall times."""
        return self._timers[side]

    def run(self, **fits):
        """Calls each side's `fit` (a function of no arguments) in a thread
        of its own and waits for all; re-raises the first error."""
        threads = [
            threading.Thread(target=self._guarded, args=(fit,), name=side)
            for side, fit in fits.items()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._error is not None:
            raise self._error

    def _guarded(self, fit):
        try:
            fit()
        except BaseException as error:  # the other side must stop waiting
            with self._condition:
                self._error = self._error or error
                self._condition.notify_all()

    def _wait_for(self, side, epoch):
        with self._condition:
            self._condition.wait_for(
                lambda: self._error is not None or self.order[self._turn] == (side, epoch)
            )
            if self._error is not None:
                raise RuntimeError("the other side's fit failed") from self._error

    def _pass_on(self):
        with self._condition:
            self._turn = min(self._turn + 1, len(self.order) - 1)
            self._condition.notify_all()


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch, from its start to the end of every callback
    before this one (so dlapps' checkpoints count)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


class _TurnTimer(EpochTimer):
    def __init__(self, turns, side):
        super().__init__()
        self.turns, self.side = turns, side

    def on_epoch_begin(self, epoch, logs=None):
        self.turns._wait_for(self.side, epoch)
        super().on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self.turns._pass_on()
