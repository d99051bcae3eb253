import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlapps")
class PerceptronCriterion(keras.losses.Loss):
    """Rosenblatt's perceptron criterion: `max(0, margin - y * score)`.

    With `y` in {-1, +1} (labels 0/1 are mapped) and `margin=0`, a gradient
    step on this loss is exactly the perceptron learning rule: the weights
    move by `learning_rate * y * x` on misclassified examples only, and
    correctly classified examples cost nothing.

    Args:
        margin: the score margin below which an example is penalised; 0 gives
            the classic perceptron, 1 gives the hinge loss of a linear SVM.
        name: the loss name.

    Call arguments:
        y_true: labels in {0, 1} (or {-1, +1}), shape `(batch, 1)`.
        y_pred: unthresholded scores `w . x + b`, shape `(batch, 1)`.

    Example:

    >>> loss = PerceptronCriterion()
    >>> float(loss([[1.0], [0.0]], [[-2.0], [-1.0]]))  # one mistake, score -2
    1.0
    """

    def __init__(self, margin=0.0, name="perceptron_criterion", **kwargs):
        super().__init__(name=name, **kwargs)
        if margin < 0:
            raise ValueError(f"margin must be >= 0. Received: margin={margin}")
        self.margin = float(margin)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(y_true, y_pred.dtype)
        signs = ops.where(y_true > 0, 1.0, -1.0)
        return ops.mean(ops.relu(self.margin - signs * y_pred), axis=-1)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}
