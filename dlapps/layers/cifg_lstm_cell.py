"""CIFGLSTMCell: an LSTM cell with coupled input and forget gates."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlapps")
class CIFGLSTMCell(keras.layers.Layer):
    """An LSTM cell whose forget gate is one minus its input gate (coupled
    input and forget gate, CIFG; Greff et al. 2017, "LSTM: A Search Space
    Odyssey"), as in on-device keyboard models (Hard et al. 2018, "Federated
    Learning for Mobile Keyboard Prediction"): a quarter fewer weights than
    an LSTM of the same width, at about the same quality.

    Wrap it in `keras.layers.RNN` to run it over a sequence.

    Args:
        units: width of the hidden and cell states, >= 1.
        kernel_regularizer: regularizer of the input and recurrent kernels.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: inputs of one time step, `(batch, features)`.
        states: `[hidden, cell]`, each `(batch, units)`.

    Returns:
        `(hidden, [hidden, cell])` after the step.

    Examples:

    >>> rnn = keras.layers.RNN(dlapps.layers.CIFGLSTMCell(256), return_sequences=True)
    >>> states = rnn(embedded)   # (batch, time, 256)
    """

    def __init__(self, units=32, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(
                f"CIFGLSTMCell argument `units` must be an integer >= 1. Received: units={units!r}"
            )
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        features = input_shape[-1]
        # Gates side by side: input, candidate, output.
        self.kernel = self.add_weight(
            shape=(features, 3 * self.units),
            initializer="glorot_uniform",
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 3 * self.units),
            initializer="orthogonal",
            regularizer=self.kernel_regularizer,
            name="recurrent_kernel",
        )
        # The input gate starts half open, so the cell keeps half its memory.
        self.bias = self.add_weight(shape=(3 * self.units,), initializer="zeros", name="bias")

    def call(self, inputs, states, training=False):
        hidden, cell = states
        gates = ops.matmul(inputs, self.kernel) + ops.matmul(hidden, self.recurrent_kernel)
        gates = gates + self.bias
        input_gate, candidate, output_gate = ops.split(gates, 3, axis=-1)
        input_gate = ops.sigmoid(input_gate)
        cell = (1.0 - input_gate) * cell + input_gate * ops.tanh(candidate)
        hidden = ops.sigmoid(output_gate) * ops.tanh(cell)
        return hidden, [hidden, cell]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            }
        )
        return config
