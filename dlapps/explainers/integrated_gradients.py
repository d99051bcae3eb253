"""Integrated Gradients (Sundararajan et al. 2017), with its completeness check."""

import numpy as np
import tensorflow as tf

from dlapps.explainers.registry import LAYOUTS, register_explainer


@register_explainer("integrated_gradients", LAYOUTS)
def integrated_gradients(
    model, features, target, baseline=None, steps=32, tolerance=0.05, max_steps=512, chunk=4096
):
    """Attributes `f(x) - f(baseline)` to the input elements.

    The path integral is a trapezoidal sum over `steps` points; the steps
    double until the attributions of every input sum to
    `f(x) - f(baseline)` within `tolerance` (relative), or `max_steps`.

    Args:
        model: a Keras model with the single output `target.score` reads.
        features: `(batch, ...)` inputs (images, embeddings, series).
        target: a prepared `Target`.
        baseline: the reference input, broadcast to `features`; zeros
            (black image, null embedding, zero reading) when `None`.
        steps: the first number of interpolation steps.
        tolerance: the completeness tolerance, relative to `|f(x) - f(baseline)|`.
        max_steps: the most steps tried.
        chunk: the most interpolated inputs per model call.

    Returns:
        `(attributions, extras)`: attributions like `features`; extras hold the
        completeness check (`sum`, `delta`, `relative_error`, `steps`, `passed`).
    """
    features = np.asarray(features, "float32")
    baseline = np.broadcast_to(
        np.zeros((), "float32") if baseline is None else np.asarray(baseline, "float32"),
        features.shape,
    )
    delta = _scores(model, target, features) - _scores(model, target, baseline)
    while True:
        attributions = (features - baseline) * _path_average_gradient(
            model, target, features, baseline, steps, chunk
        )
        total = attributions.reshape(len(features), -1).sum(axis=1)
        error = np.abs(total - delta) / np.maximum(np.abs(delta), 1e-6)
        if error.max() <= tolerance or steps >= max_steps:
            break
        steps *= 2
    completeness = {
        "sum": total.tolist(),
        "delta": delta.tolist(),
        "relative_error": error.tolist(),
        "steps": steps,
        "tolerance": tolerance,
        "passed": bool(error.max() <= tolerance),
    }
    return attributions, {"completeness": completeness}


def _scores(model, target, inputs):
    return np.asarray(target.score(model(tf.constant(inputs), training=False)), "float64")


def _path_average_gradient(model, target, features, baseline, steps, chunk):
    """The trapezoidal average of the gradient along the straight path."""
    alphas = np.linspace(0.0, 1.0, steps + 1, dtype="float32")
    weights = np.full(steps + 1, 1.0 / steps, "float32")
    weights[[0, -1]] /= 2
    per_call = max(1, chunk // len(features))
    total = np.zeros_like(features)
    for start in range(0, len(alphas), per_call):
        alpha = alphas[start : start + per_call].reshape((-1,) + (1,) * features.ndim)
        # (alphas, batch, ...) flattened: each block is a whole copy of the batch.
        path = (baseline + alpha * (features - baseline)).reshape((-1,) + features.shape[1:])
        gradients = _gradients(model, target, tf.constant(path)).numpy()
        gradients = gradients.reshape((len(alpha),) + features.shape)
        total += np.tensordot(weights[start : start + per_call], gradients, axes=1)
    return total


def _gradients(model, target, inputs):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        scores = target.score(model(inputs, training=False))
    return tape.gradient(scores, inputs)
