"""EntropyBottleneck: a learned factorized prior over quantized latents,
the rate term of learned image codecs."""

import keras
import numpy as np
from keras import ops

_LIKELIHOOD_FLOOR = 1e-9


@keras.saving.register_keras_serializable(package="dlapps")
class EntropyBottleneck(keras.layers.Layer):
    """Quantizes latents and gives their likelihoods under a learned
    density, one per channel (the "factorized prior" of Ballé, Laparra and
    Simoncelli 2017, "End-to-end Optimized Image Compression", appendix 6.1).

    Each channel's cumulative distribution is `sigmoid(f(x))`, where `f` is
    a small monotonic network (positive matrices, `tanh` gates bounded so
    the slope stays positive). The probability of a quantized value `q` is
    the mass of `[q - 0.5, q + 0.5]`. In training, quantization is replaced
    by additive uniform noise, which keeps gradients and bounds the rate;
    at inference, latents are rounded.

    Args:
        filters: widths of the hidden layers of the density network.
        init_scale: the width the densities start with.
        seed: seeds the training noise.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: latents `(batch, height, width, channels)`.
        training: add uniform noise when `True`, round otherwise.

    Returns:
        `(quantized, likelihoods)`, both shaped like `inputs`; the rate in
        bits is `-sum(log2(likelihoods))`.

    Examples:

    >>> latents = analysis(images)
    >>> quantized, likelihoods = dlapps.layers.EntropyBottleneck()(latents)
    >>> bits = -keras.ops.sum(keras.ops.log(likelihoods)) / keras.ops.log(2.0)
    """

    def __init__(self, filters=(3, 3, 3), init_scale=10.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        filters = tuple(int(f) for f in filters)
        if not filters or min(filters) < 1:
            raise ValueError(
                f"EntropyBottleneck argument `filters` must be positive widths. "
                f"Received: filters={filters!r}"
            )
        if not init_scale > 0:
            raise ValueError(
                f"EntropyBottleneck argument `init_scale` must be > 0. "
                f"Received: init_scale={init_scale!r}"
            )
        self.filters = filters
        self.init_scale = float(init_scale)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        channels = input_shape[-1]
        widths = (1, *self.filters, 1)
        # Initial weights make each density a logistic of width init_scale.
        scale = self.init_scale ** (1 / (len(self.filters) + 1))
        self._matrices, self._biases, self._factors = [], [], []
        for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            value = float(np.log(np.expm1(1 / scale / fan_out)))
            self._matrices.append(
                self.add_weight(
                    shape=(channels, fan_out, fan_in),
                    initializer=keras.initializers.Constant(value),
                    name=f"matrix_{index}",
                )
            )
            self._biases.append(
                self.add_weight(
                    shape=(channels, fan_out, 1),
                    initializer=keras.initializers.RandomUniform(-0.5, 0.5),
                    name=f"bias_{index}",
                )
            )
            if index < len(self.filters):
                self._factors.append(
                    self.add_weight(
                        shape=(channels, fan_out, 1), initializer="zeros", name=f"factor_{index}"
                    )
                )

    def logits_cumulative(self, values):
        """`f(x)` for values `(channels, 1, n)`: the logit of each channel's
        cumulative distribution at each value."""
        logits = values
        for index, matrix in enumerate(self._matrices):
            logits = ops.matmul(ops.softplus(matrix), logits) + self._biases[index]
            if index < len(self._factors):
                logits = logits + ops.tanh(self._factors[index]) * ops.tanh(logits)
        return logits

    def likelihood(self, values):
        """The probability mass of `[v - 0.5, v + 0.5]` for latents
        `(batch, height, width, channels)`, under each channel's density."""
        shape = ops.shape(values)
        channels = values.shape[-1]
        flat = ops.reshape(ops.transpose(values, (3, 0, 1, 2)), (channels, 1, -1))
        lower = self.logits_cumulative(flat - 0.5)
        upper = self.logits_cumulative(flat + 0.5)
        # Subtract in the tail where the sigmoids are closest to 0, not 1.
        sign = -ops.sign(lower + upper)
        mass = ops.abs(ops.sigmoid(sign * upper) - ops.sigmoid(sign * lower))
        mass = ops.maximum(mass, _LIKELIHOOD_FLOOR)
        mass = ops.reshape(mass, (channels, shape[0], shape[1], shape[2]))
        return ops.transpose(mass, (1, 2, 3, 0))

    def call(self, inputs, training=False):
        if training:
            noise = keras.random.uniform(ops.shape(inputs), -0.5, 0.5, seed=self.seed_generator)
            quantized = inputs + noise
        else:
            quantized = ops.round(inputs)
        return quantized, self.likelihood(quantized)

    def probability_tables(self, tail=1e-9, limit=1024):
        """Per channel, the integers with noticeable mass and their
        probabilities, for an entropy coder: `(offsets, pmfs)`, where
        channel `c` codes symbol `s` as the value `offsets[c] + s`, and
        `pmfs[c]` sums to 1 (the tails folded into the end symbols).

        Args:
            tail: mass each tail may leave out.
            limit: the widest table, in symbols.
        """
        channels = self._matrices[0].shape[0]
        grid = np.arange(-limit, limit + 1, dtype="float32")
        values = np.broadcast_to(grid[None, None, :], (channels, 1, grid.size))
        cdf = np.asarray(ops.sigmoid(self.logits_cumulative(ops.convert_to_tensor(values - 0.5))))
        cdf = cdf[:, 0, :]
        offsets, pmfs = [], []
        for row in cdf:
            low = int(np.searchsorted(row, tail))
            high = int(np.searchsorted(row, 1 - tail))
            low, high = max(low - 1, 0), min(high + 1, grid.size - 1)
            edges = np.concatenate([[0.0], row[low + 1 : high], [1.0]])
            pmf = np.maximum(np.diff(edges), _LIKELIHOOD_FLOOR)
            offsets.append(int(grid[low]))
            pmfs.append((pmf / pmf.sum()).astype("float64"))
        return np.array(offsets), pmfs

    def compute_output_shape(self, input_shape):
        return input_shape, input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {"filters": list(self.filters), "init_scale": self.init_scale, "seed": self.seed}
        )
        return config
