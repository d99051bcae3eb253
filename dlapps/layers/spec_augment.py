"""SpecAugment: time and frequency masking of spectrograms during training."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlapps")
class SpecAugment(keras.layers.Layer):
    """Masks random bands of time steps and of frequency bins (Park et al.
    2019, "SpecAugment"), in training only; at inference it is the identity.

    Each example gets its own masks: `time_masks` bands of up to
    `time_mask_width` consecutive time steps and `frequency_masks` bands of
    up to `frequency_mask_width` consecutive bins, set to `mask_value`.

    Args:
        time_masks: number of time bands masked per example, >= 0.
        time_mask_width: the widest time band, in time steps, >= 1.
        frequency_masks: number of frequency bands masked per example, >= 0.
        frequency_mask_width: the widest frequency band, in bins, >= 1.
        mask_value: the value written into masked cells, e.g. 0 after
            normalization.
        seed: seeds the masks.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: spectrograms shaped `(batch, time, frequency)` or
            `(batch, time, frequency, channels)`.
        training: masks are drawn only when `True`.

    Examples:

    >>> augment = dlapps.layers.SpecAugment(time_masks=2, time_mask_width=10)
    >>> augmented = augment(spectrograms, training=True)
    """

    def __init__(
        self,
        time_masks=2,
        time_mask_width=20,
        frequency_masks=2,
        frequency_mask_width=8,
        mask_value=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value, least in (
            ("time_masks", time_masks, 0),
            ("time_mask_width", time_mask_width, 1),
            ("frequency_masks", frequency_masks, 0),
            ("frequency_mask_width", frequency_mask_width, 1),
        ):
            if not isinstance(value, int) or value < least:
                raise ValueError(
                    f"SpecAugment argument `{name}` must be an integer >= {least}. "
                    f"Received: {name}={value!r}"
                )
        self.time_masks = time_masks
        self.time_mask_width = time_mask_width
        self.frequency_masks = frequency_masks
        self.frequency_mask_width = frequency_mask_width
        self.mask_value = mask_value
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "SpecAugment expects (batch, time, frequency[, channels]) inputs. "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs, training=False):
        if not training:
            return inputs
        shape = ops.shape(inputs)
        in_time = self._bands(shape[0], shape[1], self.time_masks, self.time_mask_width)
        in_frequency = self._bands(
            shape[0], shape[2], self.frequency_masks, self.frequency_mask_width
        )
        masked = ops.logical_or(in_time[:, :, None], in_frequency[:, None, :])
        if len(inputs.shape) == 4:
            masked = masked[..., None]
        return ops.where(masked, ops.cast(self.mask_value, inputs.dtype), inputs)

    def _bands(self, batch, size, count, width):
        """`(batch, size)` booleans, True inside `count` random bands of up to
        `width` cells along an axis of `size` cells."""
        masked = ops.zeros((batch, size), dtype="bool")
        positions = ops.cast(ops.arange(size), "float32")[None, :]
        size = ops.cast(size, "float32")
        for _ in range(count):
            widths = ops.floor(
                keras.random.uniform((batch, 1), 0, width + 1, seed=self.seed_generator)
            )
            widths = ops.minimum(widths, size)
            starts = ops.floor(
                keras.random.uniform((batch, 1), seed=self.seed_generator) * (size - widths + 1)
            )
            inside = ops.logical_and(positions >= starts, positions < starts + widths)
            masked = ops.logical_or(masked, inside)
        return masked

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "time_masks": self.time_masks,
                "time_mask_width": self.time_mask_width,
                "frequency_masks": self.frequency_masks,
                "frequency_mask_width": self.frequency_mask_width,
                "mask_value": self.mask_value,
                "seed": self.seed,
            }
        )
        return config
