"""GDN: generalized divisive normalization, the nonlinearity of learned image codecs."""

import keras
from keras import ops

# Ballé's reparametrization keeps beta and gamma positive and their
# gradients alive near zero: a parameter p is stored as sqrt(p + pedestal).
_PEDESTAL = 2.0**-36


@keras.saving.register_keras_serializable(package="dlapps")
class GDN(keras.layers.Layer):
    """Generalized divisive normalization (Ballé, Laparra and Simoncelli
    2016, "Density Modeling of Images using a Generalized Normalization
    Transformation"), and its approximate inverse (IGDN) for decoders.

    Each channel is divided (GDN) or multiplied (IGDN) by a learned norm of
    all channels at the same position:
    `y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)`.

    Args:
        inverse: compute IGDN, `x_i * sqrt(...)`, for synthesis transforms.
        beta_min: the smallest `beta`, > 0, which keeps the division safe.
        gamma_init: the initial diagonal of `gamma`, >= 0.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: feature maps `(batch, height, width, channels)`.

    Returns:
        Normalized feature maps of the same shape.

    Examples:

    >>> x = keras.layers.Conv2D(128, 5, strides=2, padding="same")(images)
    >>> x = dlapps.layers.GDN()(x)
    >>> y = dlapps.layers.GDN(inverse=True)(x)   # in a decoder
    """

    def __init__(self, inverse=False, beta_min=1e-6, gamma_init=0.1, **kwargs):
        super().__init__(**kwargs)
        if not beta_min > 0:
            raise ValueError(
                f"GDN argument `beta_min` must be > 0. Received: beta_min={beta_min!r}"
            )
        if not gamma_init >= 0:
            raise ValueError(
                f"GDN argument `gamma_init` must be >= 0. Received: gamma_init={gamma_init!r}"
            )
        self.inverse = bool(inverse)
        self.beta_min = float(beta_min)
        self.gamma_init = float(gamma_init)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"GDN needs a known channel count. Received: shape={input_shape}")
        pedestal = _PEDESTAL
        self._beta = self.add_weight(
            shape=(channels,),
            initializer=keras.initializers.Constant((1.0 + pedestal) ** 0.5),
            name="beta",
        )
        identity = ops.eye(channels) * self.gamma_init
        self._gamma = self.add_weight(
            shape=(channels, channels),
            initializer=lambda shape, dtype=None: ops.sqrt(identity + pedestal),
            name="gamma",
        )

    @property
    def beta(self):
        floor = (self.beta_min + _PEDESTAL) ** 0.5
        return ops.square(ops.maximum(self._beta, floor)) - _PEDESTAL

    @property
    def gamma(self):
        return ops.square(ops.maximum(self._gamma, _PEDESTAL**0.5)) - _PEDESTAL

    def call(self, inputs):
        norm = ops.matmul(ops.square(inputs), self.gamma) + self.beta
        norm = ops.sqrt(norm)
        return inputs * norm if self.inverse else inputs / norm

    def get_config(self):
        config = super().get_config()
        config.update(
            {"inverse": self.inverse, "beta_min": self.beta_min, "gamma_init": self.gamma_init}
        )
        return config
