"""Pairwise distances between the embeddings of a batch (metric losses)."""

from keras import ops


def pairwise_squared_distances(embeddings):
    """`(batch, batch)` squared Euclidean distances, never below 0."""
    embeddings = ops.cast(embeddings, "float32")
    dot = ops.matmul(embeddings, ops.transpose(embeddings))
    norms = ops.diagonal(dot)
    return ops.maximum(norms[:, None] - 2.0 * dot + norms[None, :], 0.0)


def label_masks(labels):
    """`(same, different)`: `(batch, batch)` booleans; `same` excludes the
    diagonal (an example is not its own positive)."""
    labels = ops.reshape(labels, (-1,))
    equal = ops.equal(labels[:, None], labels[None, :])
    not_self = ops.logical_not(ops.eye(ops.shape(labels)[0], dtype="bool"))
    return ops.logical_and(equal, not_self), ops.logical_not(equal)
