"""Where the bits go: per-location bits from the entropy model beside the
reconstruction error, the original and the reconstruction."""

import numpy as np

import dlapps
from dlapps.recipes.image_compression.image_compression_metrics import psnr
from dlapps.recipes.image_compression.image_compression_model import HYPERPRIOR, STRIDE

METHOD = "bits_map"
MAX_ROWS = 4  # as many as the core renderers show


def bits_and_reconstruction(model, images):
    """For uint8 images `(batch, height, width, 3)` of one size: each
    pixel's share of the estimated bits `(batch, height, width)` (the bits
    of each latent position spread over the 16 x 16 pixels it covers, the
    hyper-latents' bits spread likewise), and the reconstructions."""
    import tensorflow as tf

    images = tf.convert_to_tensor(images, tf.uint8)
    height, width = images.shape[1:3]
    x = model.get_layer("pad")(tf.cast(images, tf.float32) / 255.0)
    latents = model.get_layer("analysis")(x, training=False)
    if model.name == HYPERPRIOR:
        hyper = model.get_layer("hyper_analysis")(latents, training=False)
        hyper_quantized, hyper_likelihoods = model.get_layer("hyper_entropy")(hyper)
        scales = model.get_layer("hyper_synthesis")(hyper_quantized, training=False)
        quantized, likelihoods = model.get_layer("conditional")([latents, scales])
        bits = _bits(likelihoods, STRIDE) + _bits(hyper_likelihoods, STRIDE * 4)
    else:
        quantized, likelihoods = model.get_layer("entropy")(latents)
        bits = _bits(likelihoods, STRIDE)
    decoded = model.get_layer("synthesis")(quantized, training=False)
    reconstruction = tf.clip_by_value(tf.round(decoded * 255.0), 0, 255)
    return (
        np.asarray(bits)[:, :height, :width],
        np.asarray(reconstruction)[:, :height, :width].astype("uint8"),
    )


def _bits(likelihoods, stride):
    """Bits per pixel at each pixel: a position's bits over its pixels."""
    import tensorflow as tf

    bits = -tf.reduce_sum(tf.math.log(likelihoods), axis=-1) / np.log(2.0) / stride**2
    return tf.repeat(tf.repeat(bits, stride, axis=1), stride, axis=2)


def explain_bits(model, images, sanity_check=False):
    """An `Explanation` whose attributions are the bits map (spread evenly
    over the three channels, so they sum to the image's estimated bits);
    the reconstruction and its error map travel in `extras`."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise dlapps.errors.ConfigError(
            "The bits map explains a batch of images of one size; explain images of "
            f"different sizes one at a time. Received: {len(images)} images"
        )
    bits, reconstruction = bits_and_reconstruction(model, images)
    sanity = None
    if sanity_check:
        with dlapps.explainers.randomized_weights(model):
            random_bits, _ = bits_and_reconstruction(model, images)
        sanity = dlapps.explainers.compare_maps(bits, random_bits)
    error = np.abs(reconstruction.astype("float32") - images.astype("float32")).mean(axis=-1)
    estimated = bits.mean(axis=(1, 2))
    psnrs = [psnr(i, r) for i, r in zip(images, reconstruction, strict=True)]
    return dlapps.Explanation(
        method=METHOD,
        kind="image",
        inputs=images,
        attributions=np.repeat(bits[..., None] / 3, 3, axis=-1).astype("float32"),
        predictions=estimated.astype("float32"),
        target="estimated bits per pixel",
        labels=[
            f"{b:.3f} bpp (estimated), PSNR {p:.2f} dB"
            for b, p in zip(estimated, psnrs, strict=True)
        ],
        extras={"reconstruction": reconstruction, "error": error},
        sanity=sanity,
    )


@dlapps.explainers.register_renderer(METHOD, row_height=2.4)
def render_bits_map(explanation, figure):
    """Per image: original, reconstruction, bits map, error map."""
    rows = min(len(explanation.inputs), MAX_ROWS)
    axes = figure.subplots(rows, 4, squeeze=False)
    bits = np.asarray(explanation.attributions).sum(axis=-1)
    error = explanation.extras["error"]
    top_bits = max(float(np.percentile(bits[:rows], 99.5)), 1e-6)
    top_error = max(float(np.percentile(error[:rows], 99.5)), 1.0)
    for row in range(rows):
        panels = (
            (explanation.inputs[row], None, "original"),
            (explanation.extras["reconstruction"][row], None, explanation.labels[row]),
            (bits[row], ("magma", top_bits), "bits per pixel"),
            (error[row], ("viridis", top_error), "|error| (pixel levels)"),
        )
        for axis, (picture, scale, title) in zip(axes[row], panels, strict=True):
            if scale is None:
                axis.imshow(picture)
            else:
                shown = axis.imshow(picture, cmap=scale[0], vmin=0, vmax=scale[1])
                figure.colorbar(shown, ax=axis, fraction=0.046, pad=0.02)
            axis.set_title(title, fontsize=8)
            axis.set_axis_off()
