"""Helpers for recipes that compute their domain metrics from predictions."""

import keras
import numpy as np


def collect_predictions(model, data, verbose=0):
    """Runs `model` over `data` once and returns `(predictions, targets)`.

    Predictions and targets come from the same pass over the dataset, so they
    stay aligned even when `data` reshuffles on every iteration (calling
    `model.predict(data)` and then iterating `data` for the targets does not).

    Args:
        model: a Keras model.
        data: a batched `tf.data.Dataset` of `(inputs, targets)`.
        verbose: 0 for silence; `"auto"` or 1 for a progress bar.

    Returns:
        Two NumPy arrays, concatenated over batches.

    Example:

    >>> scores, labels = collect_predictions(recipe.model, val)
    """
    steps = int(data.cardinality())
    progress = keras.utils.Progbar(steps if steps >= 0 else None) if verbose else None
    predictions, targets = [], []
    for step, (inputs, target) in enumerate(data, start=1):
        predictions.append(np.asarray(model(inputs, training=False)))
        targets.append(np.asarray(target))
        if progress is not None:
            progress.update(step)
    if not predictions:
        raise ValueError("collect_predictions received an empty dataset.")
    return np.concatenate(predictions), np.concatenate(targets)


__all__ = ["collect_predictions"]
