"""A deterministic generator of natural-looking images: smooth lighting
gradients, noise at several scales (a 1/f spectrum, as in photographs),
shapes with sharp edges, striped and checked textures, and sensor noise.
A codec must spend bits on edges and textures and few on smooth regions,
as it must on photographs."""

import numpy as np


def make_images(count, size, seed):
    """`count` RGB images `(count, size, size, 3)` uint8; the same seed
    gives the same images."""
    return np.stack(
        [make_image(size, np.random.default_rng([seed, index])) for index in range(count)]
    )


def make_image(size, rng):
    yy, xx = np.mgrid[0:size, 0:size].astype("float32") / size
    image = _gradient(rng, xx, yy) + _pink_noise(rng, size, amplitude=rng.uniform(0.03, 0.15))
    for _ in range(rng.integers(2, 7)):
        mask = _shape_mask(rng, xx, yy)
        fill = _fill(rng, xx, yy)
        image = np.where(mask[..., None], fill, image)
    image += rng.normal(0, rng.uniform(0.002, 0.02), image.shape)  # sensor noise
    return (np.clip(image, 0, 1) * 255 + 0.5).astype("uint8")


def _colour(rng):
    return rng.uniform(0.05, 0.95, 3).astype("float32")


def _gradient(rng, xx, yy):
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * xx + np.sin(angle) * yy)[..., None]
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    return (1 - t) * _colour(rng) + t * _colour(rng)


def _pink_noise(rng, size, amplitude):
    """Noise whose power falls as 1/f (large soft blobs and fine grain),
    mostly in brightness and a little in colour, as in photographs."""
    frequency = np.sqrt(np.fft.rfftfreq(size)[None, :] ** 2 + np.fft.fftfreq(size)[:, None] ** 2)
    scale = 1.0 / np.maximum(frequency, 1.0 / size)
    shape = (4, size, size // 2 + 1)
    fields = np.fft.irfft2((rng.normal(size=shape) + 1j * rng.normal(size=shape)) * scale,
                           s=(size, size))  # fmt: skip
    fields /= np.maximum(fields.std(axis=(1, 2), keepdims=True), 1e-6)
    noise = fields[0][..., None] + 0.3 * fields[1:].transpose(1, 2, 0)
    return (amplitude * noise).astype("float32")


def _shape_mask(rng, xx, yy):
    cx, cy = rng.uniform(0, 1, 2)
    radius = rng.uniform(0.05, 0.35)
    kind = rng.integers(3)
    if kind == 0:  # ellipse
        aspect = rng.uniform(0.5, 2)
        return ((xx - cx) / radius) ** 2 + ((yy - cy) * aspect / radius) ** 2 < 1
    if kind == 1:  # rotated rectangle
        angle = rng.uniform(0, np.pi)
        u = np.cos(angle) * (xx - cx) + np.sin(angle) * (yy - cy)
        v = -np.sin(angle) * (xx - cx) + np.cos(angle) * (yy - cy)
        return (np.abs(u) < radius) & (np.abs(v) < radius * rng.uniform(0.3, 1))
    # triangle: inside three half-planes
    corners = np.array([cx, cy]) + radius * np.stack(
        [
            np.cos(a) * np.array([1, 0]) + np.sin(a) * np.array([0, 1])
            for a in rng.uniform(0, 2 * np.pi) + np.array([0, 2.1, 4.2])
        ]  # fmt: skip
    )
    inside = np.ones_like(xx, bool)
    for (x0, y0), (x1, y1) in zip(corners, np.roll(corners, -1, axis=0), strict=True):
        side = (x1 - x0) * (yy - y0) - (y1 - y0) * (xx - x0)
        inside &= side > 0
    return inside


def _fill(rng, xx, yy):
    """A flat colour, a gradient, stripes or a checkerboard."""
    kind = rng.integers(4)
    if kind == 0:
        return np.broadcast_to(_colour(rng), xx.shape + (3,))
    if kind == 1:
        return _gradient(rng, xx, yy)
    period = rng.uniform(0.02, 0.12)
    angle = rng.uniform(0, np.pi)
    u = np.cos(angle) * xx + np.sin(angle) * yy
    if kind == 2:
        t = (0.5 + 0.5 * np.sin(2 * np.pi * u / period))[..., None]
    else:
        v = -np.sin(angle) * xx + np.cos(angle) * yy
        t = ((np.floor(u / period) + np.floor(v / period)) % 2)[..., None]
    return (1 - t) * _colour(rng) + t * _colour(rng)
