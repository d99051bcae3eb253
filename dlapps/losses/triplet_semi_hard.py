import keras
from keras import ops

from dlapps.losses.embedding_distances import label_masks, pairwise_squared_distances


@keras.saving.register_keras_serializable(package="dlapps")
class TripletSemiHardLoss(keras.losses.Loss):
    """Triplet loss with online semi-hard negative mining (Schroff et al.
    2015, "FaceNet").

    Every anchor-positive pair of the batch (two examples of one label)
    is paired with its semi-hard negative: the closest example of another
    label that is still farther from the anchor than the positive. Where no
    such negative exists, the farthest negative is used. The loss is the
    mean over anchor-positive pairs of
    `max(d(a, p) - d(a, n) + margin, 0)`, with `d` the squared Euclidean
    distance. Batches need several examples per label: sample them as P
    labels x K examples (`dlapps.data.pk_batches`).

    Args:
        margin: the margin between positive and negative distances, > 0;
            0.2 suits L2-normalized embeddings (FaceNet).
        name: the loss name.

    Call arguments:
        y_true: integer labels, shape `(batch,)` or `(batch, 1)`.
        y_pred: embeddings, shape `(batch, dim)`.

    Example:

    >>> loss = TripletSemiHardLoss(margin=0.2)
    >>> model.compile(optimizer="adam", loss=loss)
    """

    def __init__(self, margin=0.2, name="triplet_semi_hard", **kwargs):
        super().__init__(name=name, **kwargs)
        if not margin > 0:
            raise ValueError(f"margin must be > 0. Received: margin={margin}")
        self.margin = float(margin)

    def call(self, y_true, y_pred):
        distances = pairwise_squared_distances(y_pred)
        positive, negative = label_masks(y_true)
        anchor_positive = distances[:, :, None]  # (anchor, positive, 1)
        anchor_negative = distances[:, None, :]  # (anchor, 1, negative)
        semi_hard = ops.logical_and(negative[:, None, :], anchor_negative > anchor_positive)
        closest_semi_hard = ops.min(ops.where(semi_hard, anchor_negative, float("inf")), axis=2)
        farthest = ops.max(ops.where(negative, distances, float("-inf")), axis=1)
        chosen = ops.where(ops.any(semi_hard, axis=2), closest_semi_hard, farthest[:, None])
        losses = ops.relu(distances - chosen + self.margin)
        # Anchors without any negative (a one-label batch) contribute nothing.
        valid = ops.logical_and(positive, ops.any(negative, axis=1)[:, None])
        valid = ops.cast(valid, losses.dtype)
        return ops.sum(ops.where(valid > 0, losses, 0.0)) / ops.maximum(ops.sum(valid), 1.0)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}
