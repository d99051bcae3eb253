"""`dlapps compress`, `dlapps decompress` and `dlapps rd-curve`: the
image_compression commands.

Importing this module must stay light (click only): `dlapps` builds its
command list from every recipe's commands.
"""

import json
from pathlib import Path

import click

from dlapps.errors import DataError, RunFolderError


def _open(run_dir):
    import dlapps

    recipe = dlapps.load_run(run_dir)
    if recipe.name != "image_compression":
        raise RunFolderError(f"{run_dir} holds a '{recipe.name}' run, not an image_compression run")
    return recipe


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("image", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
def compress(run_dir, image, output):
    """Compress IMAGE (PNG, JPEG, ...) into the .dlc file OUTPUT with the codec of RUN_DIR."""
    import time

    from dlapps import atomic_path
    from dlapps.recipes.image_compression.image_compression_data import read_image

    recipe = _open(run_dir)
    pixels = read_image(image, keep_grayscale=True)
    start = time.perf_counter()
    data = recipe.codec.compress(pixels)
    seconds = time.perf_counter() - start
    with atomic_path(output) as tmp:
        tmp.write_bytes(data)
    height, width, channels = pixels.shape
    click.echo(
        json.dumps(
            {
                "input": str(image),
                "output": str(output),
                "height": height,
                "width": width,
                "channels": channels,
                "bytes": len(data),
                "bpp": round(len(data) * 8 / (height * width), 4),
                "encode_seconds": round(seconds, 4),
            }
        )
    )


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("compressed", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
def decompress(run_dir, compressed, output):
    """Restore the .dlc file COMPRESSED into the image OUTPUT (format by suffix, e.g. .png)."""
    import time

    from PIL import Image

    from dlapps import atomic_path

    if not compressed.is_file():
        raise DataError(f"Compressed file not found: {compressed}")
    recipe = _open(run_dir)
    start = time.perf_counter()
    pixels = recipe.codec.decompress(compressed.read_bytes(), source=str(compressed))
    seconds = time.perf_counter() - start
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    image_format = Image.registered_extensions().get(output.suffix.lower())
    if image_format is None:
        raise DataError(f"Cannot tell the image format from the suffix of {output}; use .png")
    with atomic_path(output) as tmp:
        picture.save(tmp, format=image_format)
    click.echo(
        json.dumps(
            {
                "input": str(compressed),
                "output": str(output),
                "height": pixels.shape[0],
                "width": pixels.shape[1],
                "channels": pixels.shape[2],
                "decode_seconds": round(seconds, 4),
            }
        )
    )


@click.command("rd-curve")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--data", "source", default="synthetic", show_default=True,
              help="Where the held-out images come from (as for `dlapps train`).")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=Path("rd"), show_default=True,
              help="Folder for rd.png and rd.json.")  # fmt: skip
def rd_curve(run_dirs, source, out):
    """Rate-distortion curve of the codecs of RUN_DIRS (e.g. trained at several lmbda values)
    beside a JPEG quality sweep on the same held-out images, with the BD-rate against JPEG."""
    from dlapps.recipes.image_compression.image_compression_rd import write_rd_curve

    recipes = [_open(run_dir) for run_dir in run_dirs]
    _, val = recipes[0].load_data(source)
    images = [image for batch, _ in val for image in batch.numpy()]
    summary = write_rd_curve(recipes, [str(r) for r in run_dirs], images, out)
    for point in summary["dlapps"]:
        click.echo(
            f"{point['run']}: lmbda {point['lmbda']:g}  {point['bpp']:.3f} bpp  "
            f"{point['psnr']:.2f} dB  (JPEG at this bpp: {point['jpeg_psnr']:.2f} dB)"
        )
    bd = summary["bd_rate_vs_jpeg"]
    click.echo(
        "BD-rate against JPEG: "
        + (f"{bd:+.1f}%" if bd is not None else f"not computed ({summary['bd_rate_note']})")
    )
    click.echo(f"Wrote {out / 'rd.png'} and {out / 'rd.json'}")
