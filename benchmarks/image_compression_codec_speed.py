"""Codec speed on a 768 x 512 image (the Kodak size): encode and decode.

Side by side in one run, on the same synthetic 768 x 512 image: the run's
codec (`Codec.compress`, `Codec.decompress`, both the neural transforms and
constriction's range coder, header included) and Pillow's JPEG at the
quality with the closest file size. Each is timed `--repeats` times after a
warm-up; medians are printed, with the codec's ratio to the 2-second budget
and to JPEG.

Usage: python benchmarks/image_compression_codec_speed.py RUN_DIR [--repeats N]
"""

import argparse
import io
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import dlapps  # noqa: E402
from dlapps.recipes.image_compression.image_compression_metrics import (  # noqa: E402
    JPEG_QUALITIES,
    jpeg_bytes,
    psnr,
)
from dlapps.recipes.image_compression.image_compression_synthesis import make_image  # noqa: E402

BUDGET_SECONDS = 2.0
HEIGHT, WIDTH = 512, 768


def median_seconds(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def test_image():
    """A 768 x 512 synthetic image: two 512 x 512 images side by side, cut."""
    rng = np.random.default_rng(2026)
    return np.concatenate([make_image(HEIGHT, rng), make_image(HEIGHT, rng)], axis=1)[:, :WIDTH]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    recipe = dlapps.load_run(args.run_dir)
    image = test_image()
    codec = recipe.codec
    encode, data = median_seconds(lambda: codec.compress(image), args.repeats)
    decode, restored = median_seconds(lambda: codec.decompress(data), args.repeats)

    sizes = {q: len(jpeg_bytes(image, q)) for q in JPEG_QUALITIES}
    quality = min(sizes, key=lambda q: abs(sizes[q] - len(data)))
    jpeg_encode, jpeg = median_seconds(lambda: jpeg_bytes(image, quality), args.repeats)
    jpeg_decode, jpeg_restored = median_seconds(
        lambda: np.asarray(Image.open(io.BytesIO(jpeg))), args.repeats
    )

    pixels = HEIGHT * WIDTH
    total, jpeg_total = encode + decode, jpeg_encode + jpeg_decode
    print(f"{WIDTH} x {HEIGHT} image, {args.repeats} repeats, median seconds")
    print(f"run: {args.run_dir} ({recipe.config.preset}, lmbda {recipe.config.lmbda:g})")
    print(f"{'codec':<22}{'bpp':>7}{'PSNR':>8}{'encode':>9}{'decode':>9}{'total':>9}")
    for name, size, picture, times in (
        ("dlapps", len(data), restored, (encode, decode, total)),
        (f"JPEG (quality {quality})", len(jpeg), jpeg_restored,
         (jpeg_encode, jpeg_decode, jpeg_total)),
    ):  # fmt: skip
        print(
            f"{name:<22}{size * 8 / pixels:>7.3f}{psnr(image, picture):>8.2f}"
            + "".join(f"{t:>9.3f}" for t in times)
        )
    print(f"dlapps total / {BUDGET_SECONDS:g} s budget: {total / BUDGET_SECONDS:.2f}")
    print(f"dlapps total / JPEG total: {total / jpeg_total:.0f}x")


if __name__ == "__main__":
    main()
