"""Occlusion sensitivity (Zeiler and Fergus 2014)."""

import itertools

import numpy as np
import tensorflow as tf

from dlapps.explainers.registry import LAYOUTS, register_explainer


@register_explainer("occlusion", LAYOUTS)
def occlusion(
    model, features, target, layout="tabular", window=None, stride=None, baseline=0.0, chunk=1024
):
    """Hides one patch at a time and records how much the target drops.

    Each element's attribution is the mean drop `f(x) - f(x with the patch
    hidden)` over the patches covering it: positive where hiding hurts.

    Args:
        model: a Keras model with the single output `target.score` reads.
        features: `(batch, ...)` inputs.
        target: a prepared `Target`.
        layout: the input layout, which sets the default window.
        window: the patch size over the non-batch axes; by default an
            eighth of an image or spectrogram side (all channels), one token,
            a tenth of a series' time axis for one sensor, one tabular feature.
        stride: the step between patches; half the window by default.
        baseline: the value a hidden patch takes (a number or an array like
            one input).
        chunk: the most occluded inputs per model call.
    """
    features = np.asarray(features, "float32")
    shape = features.shape[1:]
    window = tuple(window) if window is not None else _default_window(layout, shape)
    stride = tuple(stride) if stride is not None else tuple(max(1, w // 2) for w in window)
    if len(window) != len(shape) or len(stride) != len(shape):
        raise ValueError(
            f"window and stride need one size per input axis {shape}. "
            f"Received: window={window}, stride={stride}"
        )
    patches = [
        tuple(slice(s, s + w) for s, w in zip(corner, window, strict=True))
        for corner in itertools.product(
            *(_starts(n, w, s) for n, w, s in zip(shape, window, stride, strict=True))
        )
    ]
    hidden = np.broadcast_to(np.asarray(baseline, "float32"), shape)
    reference = np.asarray(target.score(model(tf.constant(features), training=False)))
    drops = np.zeros_like(features)
    counts = np.zeros(shape, "float32")
    per_call = max(1, chunk // len(features))
    for start in range(0, len(patches), per_call):
        group = patches[start : start + per_call]
        occluded = np.repeat(features[None], len(group), axis=0)
        for copy, patch in zip(occluded, group, strict=True):
            copy[(slice(None), *patch)] = hidden[patch]
        flat = occluded.reshape((-1,) + shape)
        scores = np.asarray(target.score(model(tf.constant(flat), training=False)))
        scores = scores.reshape(len(group), len(features))
        for drop, patch in zip(reference - scores, group, strict=True):
            region = (slice(None), *patch)
            drops[region] += drop.reshape((-1,) + (1,) * len(shape))
            counts[patch] += 1
    return drops / np.maximum(counts, 1), {"window": list(window), "stride": list(stride)}


def _default_window(layout, shape):
    if layout == "tokens":
        return (1, *shape[1:])
    if layout == "series":
        return (max(1, shape[0] // 10), *(1,) * (len(shape) - 1))
    if layout in ("image", "image_pair", "spectrogram"):
        return (max(1, shape[0] // 8), max(1, shape[1] // 8), *shape[2:])
    return (1,) * len(shape)


def _starts(size, window, stride):
    starts = list(range(0, max(size - window, 0) + 1, stride))
    if starts[-1] + window < size:
        starts.append(size - window)
    return starts
