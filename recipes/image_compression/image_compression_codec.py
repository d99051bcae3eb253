"""The real codec: a trained model's transforms, with its learned
probability tables driving constriction's range coder, write and read
`.dlc` files."""

import hashlib

import numpy as np

import dlapps
from dlapps.recipes.image_compression import image_compression_format as dlc
from dlapps.recipes.image_compression.image_compression_model import (
    HYPER_STRIDE,
    HYPERPRIOR,
    STRIDE,
    total_stride,
)

# The hyperprior's latents are coded in [-GAUSSIAN_LIMIT, GAUSSIAN_LIMIT].
GAUSSIAN_LIMIT = 1023


def codec_functions(model):
    """The codec's graph functions, shared by `Codec` and the SavedModel.

    Returns:
        `{"encode": f(image), "decode": f(latents, shape)}`, plus
        `"decode_scales": f(hyper_latents)` for the hyperprior. `image` is
        one uint8 image `(height, width, 1 or 3)`; latents are int32.
    """
    import tensorflow as tf

    preset = model.name
    pad = model.get_layer("pad")
    analysis = model.get_layer("analysis")
    synthesis = model.get_layer("synthesis")

    def encode(image):
        shape = tf.shape(image)[:2]
        rgb = tf.tile(image, [1, 1, 3 // tf.shape(image)[-1]])  # grayscale to RGB
        x = pad(tf.cast(rgb[None], tf.float32) / 255.0)
        latents = analysis(x, training=False)
        outputs = {"latents": tf.cast(tf.round(latents[0]), tf.int32), "shape": shape}
        if preset == HYPERPRIOR:
            hyper = model.get_layer("hyper_analysis")(latents, training=False)
            outputs["hyper_latents"] = tf.cast(tf.round(hyper[0]), tf.int32)
        return outputs

    def decode(latents, shape):
        decoded = synthesis(tf.cast(latents[None], tf.float32), training=False)[0]
        decoded = decoded[: shape[0], : shape[1]]
        return {"image": tf.cast(tf.clip_by_value(tf.round(decoded * 255.0), 0, 255), tf.uint8)}

    functions = {"encode": encode, "decode": decode}
    if preset == HYPERPRIOR:
        conditional = model.get_layer("conditional")
        hyper_synthesis = model.get_layer("hyper_synthesis")

        def decode_scales(hyper_latents):
            scales = hyper_synthesis(tf.cast(hyper_latents[None], tf.float32), training=False)
            return {"scale_indexes": conditional.scale_indexes(scales[0])}

        functions["decode_scales"] = decode_scales
    return functions


def latent_shape(preset, height, width, channels):
    """The shape of the latents of a `height x width` image."""
    stride = total_stride(preset)
    padded = [-(-side // stride) * stride for side in (height, width)]
    return padded[0] // STRIDE, padded[1] // STRIDE, channels


def model_id(model):
    """The first 8 bytes of the SHA-256 of the model's weights: a file is
    decoded only by the model that wrote it."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight, "float32")).tobytes())
    return digest.digest()[:8]


class Codec:
    """Compresses images to `.dlc` bytes and back with a trained model.

    Args:
        model: the recipe's trained Keras model.

    Example:

    ```python
    codec = Codec(recipe.model)
    data = codec.compress(image)            # uint8 (height, width[, 1 or 3])
    restored = codec.decompress(data, "photo.dlc")
    ```
    """

    def __init__(self, model):
        import constriction
        import tensorflow as tf

        self.model = model
        self.preset = model.name
        self.model_id = model_id(model)
        self.latent_channels = model.get_layer("analysis").output.shape[-1]
        spec = tf.TensorSpec
        functions = codec_functions(model)
        self._encode = tf.function(
            functions["encode"], input_signature=[spec((None, None, None), tf.uint8)]
        )
        self._decode = tf.function(
            functions["decode"],
            input_signature=[spec((None, None, None), tf.int32), spec((2,), tf.int32)],
        )
        self._entropy_models = constriction.stream.model
        self._range_coders = constriction.stream.queue
        if self.preset == HYPERPRIOR:
            self._decode_scales = tf.function(
                functions["decode_scales"], input_signature=[spec((None, None, None), tf.int32)]
            )
            self._scale_table = model.get_layer("conditional").scale_table.astype("float64")
            self._gaussian = self._entropy_models.QuantizedGaussian(-GAUSSIAN_LIMIT, GAUSSIAN_LIMIT)
            prior = model.get_layer("hyper_entropy")
        else:
            prior = model.get_layer("entropy")
        self._offsets, pmfs = prior.probability_tables()
        self._categoricals = [self._entropy_models.Categorical(pmf, perfect=False) for pmf in pmfs]
        self._sizes = np.array([len(pmf) for pmf in pmfs])

    def compress(self, image):
        """The `.dlc` bytes of a uint8 image `(height, width)` or
        `(height, width, 1 or 3)`."""
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[..., None]
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] not in (1, 3):
            raise dlapps.errors.DataError(
                "Only 8-bit grayscale or RGB images can be compressed. "
                f"Received: shape={image.shape}, dtype={image.dtype}"
            )
        height, width, channels = image.shape
        if max(height, width) >= dlc.MAX_SIDE:
            raise dlapps.errors.DataError(
                f"Images up to {dlc.MAX_SIDE - 1} pixels a side can be compressed. "
                f"Received: shape={image.shape}"
            )
        encoded = self._encode(image)
        encoder = self._range_coders.RangeEncoder()
        latents = np.asarray(encoded["latents"])
        if self.preset == HYPERPRIOR:
            hyper = self._encode_factorized(encoder, np.asarray(encoded["hyper_latents"]))
            indexes = np.asarray(self._decode_scales(hyper)["scale_indexes"])
            latents = np.clip(latents, -GAUSSIAN_LIMIT, GAUSSIAN_LIMIT)
            encoder.encode(
                latents.ravel().astype("int32"),
                self._gaussian,
                np.zeros(latents.size),
                self._scale_table[indexes.ravel()],
            )
        else:
            self._encode_factorized(encoder, latents)
        return dlc.pack(channels, height, width, self.model_id, latents.shape,
                        encoder.get_compressed())  # fmt: skip

    def decompress(self, data, source="file"):
        """The uint8 image `(height, width, channels)` of `.dlc` bytes;
        `DataError` naming `source` for a damaged or foreign file."""
        channels, height, width, file_model, shape, words = dlc.unpack(data, source)
        if file_model != self.model_id:
            raise dlapps.errors.DataError(
                f"{source} was written by another model (id {file_model.hex()}); this run's "
                f"model has id {self.model_id.hex()}. Decompress it with the run that wrote it."
            )
        expected = latent_shape(self.preset, height, width, self.latent_channels)
        if shape != expected:
            raise dlapps.errors.DataError(
                f"{source} is not a readable .dlc file: latents of shape {shape} do not fit a "
                f"{height} x {width} image (expected {expected})"
            )
        decoder = self._range_coders.RangeDecoder(words)
        try:
            if self.preset == HYPERPRIOR:
                hyper_shape = (shape[0] // HYPER_STRIDE, shape[1] // HYPER_STRIDE, len(self._sizes))
                hyper = self._decode_factorized(decoder, hyper_shape)
                indexes = np.asarray(self._decode_scales(hyper)["scale_indexes"])
                stds = self._scale_table[indexes.ravel()]
                flat = decoder.decode(self._gaussian, np.zeros(stds.size), stds)
                latents = np.asarray(flat, "int32").reshape(shape)
            else:
                latents = self._decode_factorized(decoder, shape)
        # constriction raises AssertionError for data no encoder could write.
        except (AssertionError, ValueError, RuntimeError, OverflowError) as error:
            raise dlapps.errors.DataError(
                f"{source} is not a readable .dlc file: its coded data is invalid ({error})"
            ) from None
        image = np.asarray(self._decode(latents, np.array([height, width], "int32"))["image"])
        if channels == 1:
            image = np.round(image.astype("float32").mean(axis=-1, keepdims=True))
            image = image.astype("uint8")
        return image

    def _encode_factorized(self, encoder, latents):
        """Codes latents channel by channel under the factorized prior;
        returns them as coded (clipped to the tables)."""
        symbols = np.clip(latents - self._offsets, 0, self._sizes - 1).astype("int32")
        for channel, categorical in enumerate(self._categoricals):
            encoder.encode(np.ascontiguousarray(symbols[..., channel]).ravel(), categorical)
        return (symbols + self._offsets).astype("int32")

    def _decode_factorized(self, decoder, shape):
        symbols = np.empty(shape, "int32")
        count = shape[0] * shape[1]
        for channel, categorical in enumerate(self._categoricals):
            symbols[..., channel] = np.asarray(decoder.decode(categorical, count)).reshape(
                shape[:2]
            )
        return symbols + self._offsets.astype("int32")
