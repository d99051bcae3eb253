"""Sliding windows over units' readings, with their targets."""

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class Windows:
    """Windows over a fleet, as row indices into its `values`.

    Args:
        rows: `(windows, window)` row indices; a unit's first row repeats
            where the window starts before the unit does.
        rul: the true remaining life after each window's last step (NaN when
            unknown).
        units: the unit id of each window.
        ends: the time (cycle) of each window's last step.
    """

    rows: np.ndarray
    rul: np.ndarray
    units: list
    ends: np.ndarray


def window_rows(start, stop, window, ends=None):
    """Row indices of the windows of one unit's rows `[start, stop)` ending
    at each of `ends` (offsets into the unit; every step when `None`)."""
    ends = np.arange(stop - start) if ends is None else np.asarray(ends)
    offsets = ends[:, None] - window + 1 + np.arange(window)
    return start + np.maximum(offsets, 0)


def all_windows(fleet, window):
    """A window ending at every step of every unit, each unit run to
    failure: the RUL after step `t` of a run of `n` steps is `n - 1 - t`."""
    rows, rul, units, ends = [], [], [], []
    for unit, start, stop in fleet.runs():
        rows.append(window_rows(start, stop, window))
        rul.append(np.arange(stop - start)[::-1])
        units += [unit] * (stop - start)
        ends.append(fleet.time[start:stop])
    return Windows(np.concatenate(rows), np.concatenate(rul).astype("float32"), units,
                   np.concatenate(ends))  # fmt: skip


def last_windows(fleet, window, rul=None):
    """The last window of each unit, with its true RUL when known."""
    rows, units, ends = [], [], []
    for unit, start, stop in fleet.runs():
        rows.append(window_rows(start, stop, window, [stop - start - 1]))
        units.append(unit)
        ends.append(fleet.time[stop - 1])
    known = np.full(len(units), np.nan, "float32") if rul is None else np.asarray(rul, "float32")
    return Windows(np.concatenate(rows), known, units, np.array(ends))


def cut_windows(fleet, window, cuts, seed):
    """Cuts each run-to-failure unit short `cuts` times at random steps,
    keeping at least `min(window, half the run)` steps (and one step less
    than the run, unless it has one step), and returns the last
    window before each cut, as a test unit of C-MAPSS would give."""
    rng = np.random.default_rng(seed)
    rows, rul, units, ends = [], [], [], []
    for unit, start, stop in fleet.runs():
        length = stop - start
        shortest = max(1, min(window, length // 2))
        kept = rng.integers(shortest, max(length - 1, shortest) + 1, cuts)
        chosen = kept - 1  # the last step kept
        rows.append(window_rows(start, stop, window, chosen))
        rul.append(length - 1 - chosen)
        units += [unit] * cuts
        ends.append(fleet.time[start + chosen])
    return Windows(np.concatenate(rows), np.concatenate(rul).astype("float32"), units,
                   np.concatenate(ends))  # fmt: skip


def targets(rul, max_rul, horizon):
    """The capped RUL (piecewise linear: flat at `max_rul` early in life)
    and whether the unit fails within `horizon` cycles."""
    rul = np.asarray(rul, "float32")
    return {
        "rul": np.minimum(rul, max_rul)[:, None],
        "failure_probability": (rul <= horizon).astype("float32")[:, None],
    }


def window_dataset(values, windows, max_rul, horizon, batch_size, shuffle_seed=None):
    """Batches of `(readings, targets)`: readings `(batch, window, columns)`
    gathered from `values` inside the pipeline."""
    table = tf.constant(values, tf.float32)
    dataset = tf.data.Dataset.from_tensor_slices(
        (windows.rows.astype("int32"), targets(windows.rul, max_rul, horizon))
    )
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(windows.rows), seed=shuffle_seed)
    dataset = dataset.batch(batch_size)
    return dataset.map(
        lambda rows, target: (tf.gather(table, rows), target),
        num_parallel_calls=tf.data.AUTOTUNE,
    ).prefetch(tf.data.AUTOTUNE)


def window_readings(values, windows):
    """The readings of `windows`, `(windows, window, columns)`, float32."""
    return np.asarray(values, "float32")[windows.rows]
