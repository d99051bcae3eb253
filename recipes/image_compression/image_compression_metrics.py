"""Image quality and rate: PSNR, MS-SSIM, the JPEG reference at the same
bits per pixel, and the Bjøntegaard delta rate between two RD curves."""

import io

import numpy as np

JPEG_QUALITIES = tuple(range(1, 96))
# MS-SSIM's five scales need 161 pixels a side; smaller images use fewer.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
SSIM_FILTER = 11


def psnr(original, restored):
    """Peak signal-to-noise ratio in dB of uint8 images, over all channels."""
    error = np.mean((np.asarray(original, "float64") - np.asarray(restored, "float64")) ** 2)
    return float(10 * np.log10(255.0**2 / max(error, 1e-10)))


def ms_ssim(original, restored):
    """Multi-scale SSIM (Wang, Simoncelli and Bovik 2003) of two uint8
    images `(height, width, channels)`, with as many of the standard five
    scales as the image size allows."""
    import tensorflow as tf

    weights = ms_ssim_weights(min(np.shape(original)[:2]))
    value = tf.image.ssim_multiscale(
        tf.convert_to_tensor(np.asarray(original, "float32")[None]),
        tf.convert_to_tensor(np.asarray(restored, "float32")[None]),
        max_val=255.0,
        power_factors=weights,
    )
    return float(value[0])


def ms_ssim_weights(side):
    """The standard MS-SSIM weights for the scales an image of `side`
    pixels supports, renormalized to sum to 1."""
    scales = 1
    while scales < len(MS_SSIM_WEIGHTS) and side // 2**scales >= SSIM_FILTER:
        scales += 1
    weights = np.asarray(MS_SSIM_WEIGHTS[:scales])
    return tuple(float(w) for w in weights / weights.sum())


def bits_per_pixel(byte_count, image):
    """Every byte of a file, as bits per pixel of `image`."""
    height, width = np.shape(image)[:2]
    return byte_count * 8 / (height * width)


def jpeg_bytes(image, quality):
    """Pillow's JPEG of a uint8 image at `quality` (optimized Huffman
    tables, the default 4:2:0 chroma subsampling for RGB)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.squeeze(image, axis=-1) if np.shape(image)[-1] == 1 else image).save(
        buffer, "JPEG", quality=int(quality), optimize=True
    )
    return buffer.getvalue()


def decode_jpeg(data, channels):
    from PIL import Image

    picture = np.asarray(Image.open(io.BytesIO(data)))
    return picture[..., None] if channels == 1 and picture.ndim == 2 else picture


def jpeg_curve(image, qualities=JPEG_QUALITIES, with_ms_ssim=False):
    """`(bpp, psnr, ms_ssim)` arrays of JPEG at each quality on `image`
    (`ms_ssim` is `None` unless asked)."""
    rates, psnrs, structural = [], [], []
    for quality in qualities:
        data = jpeg_bytes(image, quality)
        restored = decode_jpeg(data, np.shape(image)[-1])
        rates.append(bits_per_pixel(len(data), image))
        psnrs.append(psnr(image, restored))
        if with_ms_ssim:
            structural.append(ms_ssim(image, restored))
    return np.array(rates), np.array(psnrs), np.array(structural) if with_ms_ssim else None


def jpeg_at_rate(image, bpp):
    """JPEG's PSNR and MS-SSIM on `image` at `bpp`, interpolated between the
    two qualities around it. Below JPEG's lowest rate (quality 1) the
    quality-1 figures are returned, which favours JPEG."""
    rates, psnrs, _ = jpeg_curve(image)
    order = np.argsort(rates)
    rates, psnrs = rates[order], psnrs[order]
    qualities = np.asarray(JPEG_QUALITIES)[order]
    at = float(np.clip(bpp, rates[0], rates[-1]))
    below = int(np.clip(np.searchsorted(rates, at) - 1, 0, len(rates) - 2))
    span = rates[below + 1] - rates[below]
    fraction = 0.0 if span == 0 else (at - rates[below]) / span
    channels = np.shape(image)[-1]
    structural = [
        ms_ssim(image, decode_jpeg(jpeg_bytes(image, qualities[i]), channels))
        for i in (below, below + 1)
    ]
    return {
        "jpeg_psnr": float(np.interp(at, rates, psnrs)),
        "jpeg_ms_ssim": float(structural[0] + fraction * (structural[1] - structural[0])),
    }


def bd_rate(anchor_rate, anchor_psnr, test_rate, test_psnr, samples=1000):
    """The Bjøntegaard delta rate: the average change in bits, in percent,
    that the test codec needs for the anchor's quality, over the PSNR range
    both curves cover (negative: the test codec saves bits). Log-rate is
    interpolated piecewise-linearly in PSNR (the piecewise variant of
    Bjøntegaard's method, robust where a cubic fit would oscillate).

    Raises:
        ValueError: a curve has fewer than 2 points or the curves' PSNR
            ranges do not overlap.
    """
    curves = []
    for rate, quality in ((anchor_rate, anchor_psnr), (test_rate, test_psnr)):
        rate, quality = np.asarray(rate, "float64"), np.asarray(quality, "float64")
        if rate.size < 2 or rate.size != quality.size:
            raise ValueError(
                "BD-rate needs at least 2 (rate, PSNR) points per curve. "
                f"Received: {rate.size} rates and {quality.size} PSNRs"
            )
        order = np.argsort(quality)
        curves.append((quality[order], np.log(rate[order])))
    low = max(curve[0][0] for curve in curves)
    high = min(curve[0][-1] for curve in curves)
    if not high > low:
        raise ValueError(
            "BD-rate needs PSNR ranges that overlap. Received: anchor "
            f"{curves[0][0][0]:.2f}-{curves[0][0][-1]:.2f} dB, test "
            f"{curves[1][0][0]:.2f}-{curves[1][0][-1]:.2f} dB"
        )
    grid = np.linspace(low, high, samples)
    anchor, test = (np.interp(grid, quality, log_rate) for quality, log_rate in curves)
    return float((np.exp(np.mean(test - anchor)) - 1) * 100)


def image_figures(round_trip, image):
    """One image's figures: the codec's (from the real file) and JPEG's at
    the same bpp. `round_trip(image)` returns `(file_bytes, restored,
    encode_seconds, decode_seconds)`."""
    data, restored, encode_seconds, decode_seconds = round_trip(image)
    bpp = bits_per_pixel(len(data), image)
    figures = {
        "bpp": bpp,
        "psnr": psnr(image, restored),
        "ms_ssim": ms_ssim(image, restored),
        **jpeg_at_rate(image, bpp),
        "encode_seconds": encode_seconds,
        "decode_seconds": decode_seconds,
    }
    figures["psnr_gain_over_jpeg"] = figures["psnr"] - figures["jpeg_psnr"]
    return figures
