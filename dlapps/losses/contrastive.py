import keras
from keras import ops

from dlapps.losses.embedding_distances import label_masks, pairwise_squared_distances


@keras.saving.register_keras_serializable(package="dlapps")
class ContrastiveLoss(keras.losses.Loss):
    """Contrastive loss over every pair of a batch (Hadsell et al. 2006).

    Pairs of one label are pulled together (`d^2`); pairs of different
    labels are pushed apart until they are `margin` away
    (`max(margin - d, 0)^2`), `d` being the Euclidean distance. The loss is
    the mean over positive pairs plus the mean over negative pairs, so a
    batch's many negatives do not drown its few positives.

    Args:
        margin: the distance beyond which negative pairs cost nothing, > 0.
        name: the loss name.

    Call arguments:
        y_true: integer labels, shape `(batch,)` or `(batch, 1)`.
        y_pred: embeddings, shape `(batch, dim)`.

    Example:

    >>> model.compile(optimizer="adam", loss=ContrastiveLoss(margin=1.0))
    """

    def __init__(self, margin=1.0, name="contrastive", **kwargs):
        super().__init__(name=name, **kwargs)
        if not margin > 0:
            raise ValueError(f"margin must be > 0. Received: margin={margin}")
        self.margin = float(margin)

    def call(self, y_true, y_pred):
        squared = pairwise_squared_distances(y_pred)
        distances = ops.sqrt(squared + 1e-12)
        positive, negative = label_masks(y_true)
        pulls = _masked_mean(squared, positive)
        pushes = _masked_mean(ops.square(ops.relu(self.margin - distances)), negative)
        return pulls + pushes

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}


def _masked_mean(values, mask):
    mask = ops.cast(mask, values.dtype)
    return ops.sum(values * mask) / ops.maximum(ops.sum(mask), 1.0)
