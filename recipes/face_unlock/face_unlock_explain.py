"""Similarity maps of face pairs (Stylianou, Souvenir and Pless 2019,
"Visualizing Deep Similarity Networks").

The embedding network ends in global average pooling and a linear
projection before unit normalization, so the cosine similarity of two faces
is exactly a sum over the cells of the last feature map: cell `(i, j)` of
the first face contributes

    (F1[i, j] @ W + b) . e2 / (|u1| * cells)

where `F1` is its feature map, `W, b` the projection, `u1` its embedding
before normalization and `e2` the other face's embedding. Each side is
mapped against the other; the positive part, upsampled to the image, shows
what drove the match.
"""

import keras
import numpy as np

import dlapps
from dlapps.recipes.face_unlock.face_unlock_model import FEATURE_MAP, PROJECTION

METHOD = "similarity_map"


def similarity_maps(model, first, second):
    """Per-cell contributions to each pair's similarity.

    Args:
        model: the face embedding network.
        first, second: uint8 image batches of equal length.

    Returns:
        `(maps, scores)`: maps `(pairs, 2, rows, cols)` (side 0 against side
        1 and back), each summing to the pair's score; scores `(pairs,)`.
    """
    extractor = keras.Model(model.input, [model.get_layer(FEATURE_MAP).output, model.output])
    kernel, bias = (np.asarray(w, "float64") for w in model.get_layer(PROJECTION).get_weights())
    (f1, e1), (f2, e2) = (
        (np.asarray(t, "float64") for t in extractor(side, training=False))
        for side in (first, second)
    )

    def against(features, other):
        cells = features.shape[1] * features.shape[2]
        projected = features @ kernel + bias  # (pairs, rows, cols, dim)
        norm = np.linalg.norm(features.mean(axis=(1, 2)) @ kernel + bias, axis=1)
        return np.einsum("nijd,nd->nij", projected, other) / (norm * cells)[:, None, None]

    maps = np.stack([against(f1, e2), against(f2, e1)], axis=1)
    return maps, np.sum(e1 * e2, axis=1)


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
