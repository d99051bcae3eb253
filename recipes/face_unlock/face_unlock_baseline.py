"""The classical baseline the network must beat: eigenfaces (Turk and
Pentland 1991), grayscale faces projected on their principal components,
compared by cosine similarity."""

import numpy as np


class Eigenfaces:
    """PCA of grayscale face images.

    Args:
        components: how many principal components span the face space.

    Example:

    >>> baseline = Eigenfaces(64).fit(train_images)
    >>> embeddings = baseline.embed(val_images)     # unit length, cosine = dot
    """

    def __init__(self, components=64):
        self.components = components
        self.mean = None
        self.basis = None

    def fit(self, images):
        pixels = _grayscale(images)
        self.mean = pixels.mean(axis=0)
        _, _, rows = np.linalg.svd(pixels - self.mean, full_matrices=False)
        self.basis = rows[: self.components]
        return self

    def embed(self, images):
        projected = (_grayscale(images) - self.mean) @ self.basis.T
        norms = np.linalg.norm(projected, axis=1, keepdims=True)
        return projected / np.maximum(norms, 1e-12)


def _grayscale(images):
    images = np.asarray(images, "float64") / 255.0
    return (images @ [0.299, 0.587, 0.114]).reshape(len(images), -1)
