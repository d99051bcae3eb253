"""The codec model's small layers: padding to the transforms' stride,
cropping back to the image, and the rate in bits per pixel."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlapps")
class PadToMultiple(keras.layers.Layer):
    """Pads images at the bottom and right, repeating the edge, to a multiple of
    `multiple` pixels, so images of any size pass through strided
    transforms.

    Args:
        multiple: the total stride of the analysis transform.
        **kwargs: base layer keyword arguments, such as `name`.
    """

    def __init__(self, multiple=16, **kwargs):
        super().__init__(**kwargs)
        if int(multiple) < 1:
            raise ValueError(
                f"PadToMultiple argument `multiple` must be >= 1. Received: multiple={multiple!r}"
            )
        self.multiple = int(multiple)

    def call(self, inputs):
        return pad_to_multiple(inputs, self.multiple)

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


def pad_to_multiple(images, multiple):
    """Pads `(batch, height, width, channels)` images at the bottom and
    right to a multiple of `multiple` pixels by repeating the last row and
    column (works for images smaller than the padding, too)."""
    for axis in (1, 2):
        size = ops.shape(images)[axis]
        padded = size + (-size) % multiple
        images = ops.take(images, ops.minimum(ops.arange(padded), size - 1), axis=axis)
    return images


@keras.saving.register_keras_serializable(package="dlapps")
class CropToImage(keras.layers.Layer):
    """Crops a decoded image `(batch, h, w, c)` to the size of the original
    image (the second input), undoing `PadToMultiple`, and scales it from
    [0, 1] to pixel values.

    Args:
        scale: the pixel value of 1.0.
        **kwargs: base layer keyword arguments, such as `name`.
    """

    def __init__(self, scale=255.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        decoded, image = inputs
        shape = ops.shape(image)
        return decoded[:, : shape[1], : shape[2], :] * self.scale

    def compute_output_shape(self, input_shape):
        decoded, image = input_shape
        return (decoded[0], image[1], image[2], decoded[3])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package="dlapps")
class BitsPerPixel(keras.layers.Layer):
    """The estimated rate of each image, `-sum(log2(likelihoods)) / pixels`,
    over all the likelihood tensors given (latents and hyper-latents).

    Call arguments:
        inputs: a list `[images, likelihoods, ...]`; pixels are counted on
            `images` (before padding).
    """

    def call(self, inputs):
        image, *likelihoods = inputs
        shape = ops.shape(image)
        pixels = ops.cast(shape[1] * shape[2], "float32")
        bits = 0.0
        for likelihood in likelihoods:
            bits = bits + ops.sum(ops.log(ops.cast(likelihood, "float32")), axis=(1, 2, 3))
        return -bits / ops.log(2.0) / pixels

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0],)


@keras.saving.register_keras_serializable(package="dlapps")
class Rate(keras.losses.Loss):
    """The rate term of the rate-distortion loss: the mean of the model's
    bits-per-pixel output (the target is ignored)."""

    def __init__(self, name="rate", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return ops.cast(y_pred, "float32")


@keras.saving.register_keras_serializable(package="dlapps")
class MultiScaleSSIMLoss(keras.losses.Loss):
    """`1 - MS-SSIM` of images in pixel levels [0, 255], with as many of
    the five standard scales as `image_size` allows (each scale halves the
    image; the 11-pixel SSIM window must fit the smallest).

    Args:
        image_size: the side of the training images (patches).
    """

    def __init__(self, image_size=256, name="ms_ssim_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.image_size = int(image_size)

    def call(self, y_true, y_pred):
        from dlapps.recipes.image_compression.image_compression_metrics import ms_ssim_weights

        return 1.0 - differentiable_ms_ssim(y_true, y_pred, ms_ssim_weights(self.image_size))

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size}


def differentiable_ms_ssim(x, y, weights, max_val=255.0):
    """MS-SSIM per image, as `tf.image.ssim_multiscale` (11-pixel Gaussian
    window, sigma 1.5), but with each scale's term floored at a small
    positive value, so its fractional power keeps a finite gradient where a
    poor early reconstruction drives a term to zero."""
    import numpy as np
    import tensorflow as tf

    x, y = tf.cast(x, tf.float32), tf.cast(y, tf.float32)
    channels = x.shape[-1]
    taps = np.exp(-0.5 * ((np.arange(11) - 5) / 1.5) ** 2)
    window = np.outer(taps, taps) / np.outer(taps, taps).sum()
    kernel = tf.constant(np.tile(window[..., None, None], (1, 1, channels, 1)), tf.float32)
    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    result = 1.0
    for scale, weight in enumerate(weights):

        def blur(image):
            return tf.nn.depthwise_conv2d(image, kernel, [1, 1, 1, 1], "VALID")

        mean_x, mean_y = blur(x), blur(y)
        var_x = blur(x * x) - mean_x**2
        var_y = blur(y * y) - mean_y**2
        covariance = blur(x * y) - mean_x * mean_y
        term = (2 * covariance + c2) / (var_x + var_y + c2)
        if scale == len(weights) - 1:
            term *= (2 * mean_x * mean_y + c1) / (mean_x**2 + mean_y**2 + c1)
        else:
            x = tf.nn.avg_pool2d(x, 2, 2, "VALID")
            y = tf.nn.avg_pool2d(y, 2, 2, "VALID")
        term = tf.maximum(tf.reduce_mean(term, axis=(1, 2)), 1e-6)
        result *= term**weight
    return tf.reduce_mean(result, axis=-1)
