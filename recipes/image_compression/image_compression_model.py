"""The codec's Keras model: Ballé et al.'s analysis and synthesis transforms
with GDN, and a learned entropy model, either the factorized prior (2017)
or the scale hyperprior (2018)."""

import keras

import dlapps
from dlapps.recipes.image_compression.image_compression_layers import (
    BitsPerPixel,
    CropToImage,
    PadToMultiple,
)

FACTORIZED = "factorized"
HYPERPRIOR = "hyperprior"
PRESETS = (FACTORIZED, HYPERPRIOR)
# Four stride-2 layers in the transforms, two more in the hyperprior's.
STRIDE = 16
HYPER_STRIDE = 4


def total_stride(preset):
    """How many pixels one latent position covers, per side."""
    return STRIDE * (HYPER_STRIDE if preset == HYPERPRIOR else 1)


def build_codec_model(config, seed=None):
    """The training model: uint8 images of any size in, the reconstruction
    (pixel values, float) and each image's estimated bits per pixel out.
    Quantization is uniform noise in training and rounding at inference."""
    image = keras.Input((None, None, 3), dtype="uint8", name="image")
    x = keras.layers.Rescaling(1 / 255, name="to_unit")(image)
    x = PadToMultiple(total_stride(config.preset), name="pad")(x)
    latents = analysis_transform(config.filters, config.latent_channels)(x)
    if config.preset == HYPERPRIOR:
        hyper_latents = hyper_analysis_transform(config.filters)(latents)
        hyper_quantized, hyper_likelihoods = dlapps.layers.EntropyBottleneck(
            seed=seed, dtype="float32", name="hyper_entropy"
        )(hyper_latents)
        scales = hyper_synthesis_transform(config.filters, config.latent_channels)(hyper_quantized)
        quantized, likelihoods = dlapps.layers.GaussianConditional(
            seed=seed, dtype="float32", name="conditional"
        )([latents, scales])
        rate_inputs = [image, likelihoods, hyper_likelihoods]
    else:
        quantized, likelihoods = dlapps.layers.EntropyBottleneck(
            seed=seed, dtype="float32", name="entropy"
        )(latents)
        rate_inputs = [image, likelihoods]
    decoded = synthesis_transform(config.filters)(quantized)
    reconstruction = CropToImage(dtype="float32", name="reconstruction")([decoded, image])
    bpp = BitsPerPixel(dtype="float32", name="bpp")(rate_inputs)
    return keras.Model(image, {"reconstruction": reconstruction, "bpp": bpp}, name=config.preset)


def analysis_transform(filters, latent_channels):
    """Image in [0, 1] to latents, 16x smaller per side."""
    layers = []
    for index in range(3):
        layers += [_conv(filters, f"conv_{index}"), dlapps.layers.GDN(name=f"gdn_{index}")]
    layers.append(_conv(latent_channels, "conv_3"))
    return keras.Sequential(layers, name="analysis")


def synthesis_transform(filters, channels=3):
    """Quantized latents back to an image in [0, 1], 16x larger per side."""
    layers = []
    for index in range(3):
        layers += [
            _deconv(filters, f"deconv_{index}"),
            dlapps.layers.GDN(inverse=True, name=f"igdn_{index}"),
        ]
    layers.append(_deconv(channels, "deconv_3"))
    return keras.Sequential(layers, name="synthesis")


def hyper_analysis_transform(filters):
    """Latents to hyper-latents, 4x smaller per side: side information
    about the latents' local scales."""
    return keras.Sequential(
        [
            keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name="conv_0"),
            _conv(filters, "conv_1", activation="relu"),
            _conv(filters, "conv_2"),
        ],
        name="hyper_analysis",
    )


def hyper_synthesis_transform(filters, latent_channels):
    """Quantized hyper-latents to one positive scale per latent."""
    return keras.Sequential(
        [
            _deconv(filters, "deconv_0", activation="relu"),
            _deconv(filters, "deconv_1", activation="relu"),
            keras.layers.Conv2DTranspose(
                latent_channels, 3, padding="same", activation="softplus", name="deconv_2"
            ),
        ],
        name="hyper_synthesis",
    )


def _conv(filters, name, activation=None):
    return keras.layers.Conv2D(
        filters, 5, strides=2, padding="same", activation=activation, name=name
    )


def _deconv(filters, name, activation=None):
    return keras.layers.Conv2DTranspose(
        filters, 5, strides=2, padding="same", activation=activation, name=name
    )
