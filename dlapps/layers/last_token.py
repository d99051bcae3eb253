"""LastToken: a sequence model's output at each row's last real token."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlapps")
class LastToken(keras.layers.Layer):
    """Picks, in each row, the output at the last token that is not padding.

    Sequences are right-padded with id 0; a recurrent layer's output at the
    last real token has read the whole text, so it predicts the next word.

    Call arguments:
        inputs: a list `[outputs, ids]`: outputs shaped `(batch, time, ...)`
            and the token ids `(batch, time)` they were computed from, 0 for
            padding. A row of padding only gives its first output.

    Returns:
        The outputs at the last real token, shaped `(batch, ...)`.

    Examples:

    >>> states = keras.layers.LSTM(64, return_sequences=True)(embedded)
    >>> last = dlapps.layers.LastToken()([states, ids])
    """

    def call(self, inputs):
        outputs, ids = inputs
        length = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1)
        index = ops.maximum(length - 1, 0)
        return ops.take_along_axis(
            outputs, ops.reshape(index, (-1, 1) + (1,) * (len(outputs.shape) - 2)), axis=1
        )[:, 0]

    def compute_output_shape(self, input_shape):
        outputs_shape, _ = input_shape
        return (outputs_shape[0], *outputs_shape[2:])
