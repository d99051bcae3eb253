"""GaussianConditional: latents coded under zero-mean Gaussians whose scales
come from side information (the scale hyperprior)."""

import keras
import numpy as np
from keras import ops

_LIKELIHOOD_FLOOR = 1e-9


@keras.saving.register_keras_serializable(package="dlapps")
class GaussianConditional(keras.layers.Layer):
    """Quantizes latents and gives their likelihoods under zero-mean
    Gaussians with one scale per element (Ballé, Minnen, Singh, Hwang and
    Johnston 2018, "Variational image compression with a scale hyperprior").
    The probability of a quantized value `q` is the Gaussian's mass on
    `[q - 0.5, q + 0.5]`. As in `EntropyBottleneck`, training adds uniform
    noise and inference rounds.

    Scales are snapped to a fixed, log-spaced table before use, at inference,
    so an encoder and a decoder that compute the scales with tiny
    floating-point differences still pick the same coding distribution.

    Args:
        scale_min: the smallest scale; smaller predicted scales are raised.
        scale_max: the largest scale in the table.
        table_size: the number of scales in the table.
        seed: seeds the training noise.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: a list `[latents, scales]`, both `(batch, height, width,
            channels)`.
        training: add uniform noise when `True`, round otherwise.

    Returns:
        `(quantized, likelihoods)`, both shaped like the latents.

    Examples:

    >>> scales = hyper_synthesis(quantized_hyper_latents)
    >>> quantized, likelihoods = dlapps.layers.GaussianConditional()([latents, scales])
    """

    def __init__(self, scale_min=0.11, scale_max=256.0, table_size=64, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 < scale_min < scale_max:
            raise ValueError(
                "GaussianConditional needs 0 < scale_min < scale_max. "
                f"Received: scale_min={scale_min!r}, scale_max={scale_max!r}"
            )
        if int(table_size) < 2:
            raise ValueError(
                f"GaussianConditional argument `table_size` must be >= 2. "
                f"Received: table_size={table_size!r}"
            )
        self.scale_min = float(scale_min)
        self.scale_max = float(scale_max)
        self.table_size = int(table_size)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def scale_table(self):
        """The coding scales, log-spaced from `scale_min` to `scale_max`."""
        return np.exp(
            np.linspace(np.log(self.scale_min), np.log(self.scale_max), self.table_size)
        ).astype("float32")

    def scale_indexes(self, scales):
        """The index of the table scale for each predicted scale: the
        smallest table scale not below it (rounding up costs a few bits,
        never a coding failure)."""
        table = ops.convert_to_tensor(self.scale_table[:-1])
        scales = ops.maximum(ops.cast(scales, "float32"), self.scale_min)
        # searchsorted via a comparison count: the table is small.
        return ops.sum(ops.cast(ops.expand_dims(scales, -1) > table, "int32"), axis=-1)

    def likelihood(self, values, scales):
        """The Gaussian mass of `[v - 0.5, v + 0.5]` for each value."""
        scales = ops.maximum(scales, self.scale_min)
        values = ops.abs(values)
        # Both tails are computed on the negative side, where erfc is exact.
        upper = _normal_cdf((0.5 - values) / scales)
        lower = _normal_cdf((-0.5 - values) / scales)
        return ops.maximum(upper - lower, _LIKELIHOOD_FLOOR)

    def call(self, inputs, training=False):
        latents, scales = inputs
        if training:
            noise = keras.random.uniform(ops.shape(latents), -0.5, 0.5, seed=self.seed_generator)
            quantized = latents + noise
        else:
            quantized = ops.round(latents)
            table = ops.convert_to_tensor(self.scale_table)
            scales = ops.take(table, self.scale_indexes(scales))
        return quantized, self.likelihood(quantized, scales)

    def compute_output_shape(self, input_shape):
        return input_shape[0], input_shape[0]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "scale_min": self.scale_min,
                "scale_max": self.scale_max,
                "table_size": self.table_size,
                "seed": self.seed,
            }
        )
        return config


def _normal_cdf(values):
    return 0.5 * ops.erfc(-values / np.sqrt(2.0).astype("float32"))
