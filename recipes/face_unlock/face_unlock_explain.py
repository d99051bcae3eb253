"""Similarity maps of face pairs (Stylianou, Souvenir and Pless 2019,
"Visualizing Deep Similarity Networks").

After its last convolution the embedding network max-pools 2x2, averages
globally, and applies affine layers (batch normalization, the projection)
before unit normalization. The cosine similarity of two faces is therefore
exactly a sum over the cells `q` of the pooled map `P1` of the first face:

    (P1[q] @ M + c) . e2 / (|u1| * cells)

where `M, c` is the affine head, `u1` the face's embedding before
normalization and `e2` the other face's embedding. Max pooling takes each
channel of a pooled cell from one position of its 2x2 window, so each
channel's term goes back to that position (and the constant `c` term is
shared by the window): the map has the resolution of the last convolution,
and still sums exactly to the score. Each side is mapped against the other;
the positive part, upsampled to the image, shows what drove the match.
"""

import keras
import numpy as np

import dlapps
from dlapps.recipes.face_unlock.face_unlock_model import FEATURE_MAP, NECK, PROJECTION

METHOD = "similarity_map"


def similarity_maps(model, first, second):
    """Per-position contributions to each pair's similarity.

    Args:
        model: the face embedding network.
        first, second: uint8 image batches of equal length.

    Returns:
        `(maps, scores)`: maps `(pairs, 2, rows, cols)` at the last
        convolution's resolution (side 0 against side 1 and back), each
        summing to the pair's score; scores `(pairs,)`.
    """
    extractor = keras.Model(model.input, [model.get_layer(FEATURE_MAP).output, model.output])
    matrix, constant = _affine_head(model)
    (f1, e1), (f2, e2) = (
        (np.asarray(t, "float64") for t in extractor(side, training=False))
        for side in (first, second)
    )
    maps = np.stack(
        [_contributions(f1, e2, matrix, constant), _contributions(f2, e1, matrix, constant)], 1
    )
    return maps, np.sum(e1 * e2, axis=1)


def _contributions(features, other, matrix, constant):
    """The map of one side: `features` `(n, rows, cols, channels)` before
    2x2 max pooling, against the other side's embeddings `(n, dim)`."""
    n, rows, cols, channels = features.shape
    half_rows, half_cols = rows // 2, cols // 2
    windows = features[:, : 2 * half_rows, : 2 * half_cols].reshape(
        n, half_rows, 2, half_cols, 2, channels
    )
    pooled = windows.max(axis=(2, 4))
    # Each channel of a pooled cell comes from its window's maximum (ties share it).
    winners = windows == pooled[:, :, None, :, None]
    winners = winners / winners.sum(axis=(2, 4), keepdims=True)
    cells = half_rows * half_cols
    norms = np.linalg.norm(pooled.mean(axis=(1, 2)) @ matrix + constant, axis=1)
    gains = other @ matrix.T  # (n, channels): each channel's pull towards the other face
    linear = np.einsum("nhawbk,nk->nhawb", windows * winners, gains)
    shared = (other @ constant) / 4  # the constant term, split over each window
    per_position = (linear + shared[:, None, None, None, None]) / (norms * cells)[
        :, None, None, None, None
    ]
    maps = np.zeros((n, rows, cols))
    maps[:, : 2 * half_rows, : 2 * half_cols] = per_position.reshape(
        n, 2 * half_rows, 2 * half_cols
    )
    return maps


def _affine_head(model):
    """The layers between pooling and normalization as one affine map
    `x @ matrix + constant` (batch normalization at inference, then the
    projection)."""
    neck = model.get_layer(NECK)
    gamma, beta, mean, variance = (np.asarray(w, "float64") for w in neck.get_weights())
    scale = gamma / np.sqrt(variance + neck.epsilon)
    kernel, bias = (np.asarray(w, "float64") for w in model.get_layer(PROJECTION).get_weights())
    return scale[:, None] * kernel, (beta - mean * scale) @ kernel + bias


def explain_pairs(model, first, second, threshold=None, sanity_check=False):
    """An `Explanation` of kind `image_pair`: each pair's faces beside
    where each matched the other."""
    first, second = np.asarray(first), np.asarray(second)
    if len(first) != len(second) or len(first) == 0:
        raise dlapps.errors.ConfigError(
            "Similarity maps explain pairs of faces: pass an even number of images. "
            f"Received: {len(first)} and {len(second)} images"
        )
    shown_model = keras.Model(model.input, model.get_layer("resize").output)
    shown = np.stack([np.asarray(shown_model(s, training=False)) for s in (first, second)], 1)

    def attributions():
        maps, scores = similarity_maps(model, first, second)
        return _to_pixels(np.maximum(maps, 0.0), shown.shape[2:4]), scores

    pixels, scores = attributions()
    sanity = None
    if sanity_check:
        with dlapps.explainers.randomized_weights(model):
            random_pixels, _ = attributions()
        sanity = dlapps.explainers.compare_maps(pixels, random_pixels)
    target = dlapps.explainers.PairSimilarity(threshold)
    return dlapps.Explanation(
        method=METHOD,
        kind="image_pair",
        inputs=shown,
        attributions=pixels,
        predictions=scores.astype("float32"),
        target=repr(target),
        labels=target.describe(scores),
        sanity=sanity,
    )


def _to_pixels(maps, size):
    """`(pairs, 2, rows, cols)` cell maps to `(pairs, 2, height, width, 3)`."""
    import tensorflow as tf

    pairs, sides, rows, cols = maps.shape
    flat = tf.image.resize(maps.reshape(-1, rows, cols, 1).astype("float32"), size)
    flat = np.repeat(np.asarray(flat), 3, axis=-1) / 3
    return flat.reshape(pairs, sides, *size, 3)
