"""The rate-distortion curve: codecs trained at several lmbda values beside
a JPEG quality sweep on the same images, plotted, with the BD-rate."""

import json
from pathlib import Path

import numpy as np

import dlapps
from dlapps.recipes.image_compression.image_compression_metrics import (
    JPEG_QUALITIES,
    bd_rate,
    bits_per_pixel,
    jpeg_curve,
    ms_ssim,
    psnr,
)


def codec_point(recipe, images, jpeg_curves):
    """A codec's mean bpp (from its files), PSNR and MS-SSIM over `images`,
    and JPEG's mean PSNR at each image's bpp."""
    rows = []
    for image, (rates, psnrs, _) in zip(images, jpeg_curves, strict=True):
        data, restored, _, _ = recipe.round_trip(image)
        bpp = bits_per_pixel(len(data), image)
        order = np.argsort(rates)
        rows.append(
            (bpp, psnr(image, restored), ms_ssim(image, restored),
             float(np.interp(bpp, rates[order], psnrs[order])))
        )  # fmt: skip
    bpp, quality, structural, jpeg = np.mean(rows, axis=0)
    return {"bpp": bpp, "psnr": quality, "ms_ssim": structural, "jpeg_psnr": jpeg}


def write_rd_curve(recipes, names, images, out):
    """Measures every codec and JPEG on `images`, writes `rd.png` and
    `rd.json` into `out`, and returns the summary (points and BD-rate)."""
    curves = [jpeg_curve(image, with_ms_ssim=True) for image in images]
    jpeg = {
        "quality": list(JPEG_QUALITIES),
        "bpp": np.mean([c[0] for c in curves], axis=0).tolist(),
        "psnr": np.mean([c[1] for c in curves], axis=0).tolist(),
        "ms_ssim": np.mean([c[2] for c in curves], axis=0).tolist(),
    }
    points = []
    for recipe, name in zip(recipes, names, strict=True):
        point = codec_point(recipe, images, curves)
        points.append({"run": name, "preset": recipe.config.preset,
                       "lmbda": recipe.config.lmbda, **point})  # fmt: skip
    points.sort(key=lambda p: p["bpp"])
    summary = {"images": len(images), "dlapps": points, "jpeg": jpeg}
    try:
        summary["bd_rate_vs_jpeg"] = bd_rate(
            jpeg["bpp"], jpeg["psnr"], [p["bpp"] for p in points], [p["psnr"] for p in points]
        )
        summary["bd_rate_note"] = "PSNR, over the PSNR range of the dlapps points"
    except ValueError as error:
        summary["bd_rate_vs_jpeg"] = None
        summary["bd_rate_note"] = str(error)
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    dlapps.atomic_write_text(out / "rd.json", json.dumps(summary, indent=2, default=float))
    plot_rd(summary, out / "rd.png")
    return summary


def plot_rd(summary, path):
    """PSNR and MS-SSIM (in dB) against bpp, dlapps beside JPEG."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), layout="constrained")
    axes = figure.subplots(1, 2)
    points, jpeg = summary["dlapps"], summary["jpeg"]
    top = max(1.2, 1.15 * max(p["bpp"] for p in points))
    shown = [i for i, rate in enumerate(jpeg["bpp"]) if rate <= top]
    for axis, key, label in (
        (axes[0], "psnr", "PSNR (dB, RGB)"),
        (axes[1], "ms_ssim", "MS-SSIM (dB: -10 log10(1 - MS-SSIM))"),
    ):

        def scale(values, key=key):
            values = np.asarray(values, "float64")
            return -10 * np.log10(np.maximum(1 - values, 1e-10)) if key == "ms_ssim" else values

        axis.plot([jpeg["bpp"][i] for i in shown], scale([jpeg[key][i] for i in shown]),
                  color="tab:gray", label="JPEG (Pillow, quality sweep)")  # fmt: skip
        axis.plot([p["bpp"] for p in points], scale([p[key] for p in points]), "o-",
                  color="tab:blue", label="dlapps")  # fmt: skip
        for point, value in zip(points, scale([p[key] for p in points]), strict=True):
            axis.annotate(f"λ={point['lmbda']:g}", (point["bpp"], value), fontsize=7,
                          textcoords="offset points", xytext=(4, -10))  # fmt: skip
        axis.set_xlim(0, top)
        axis.set_xlabel("bits per pixel (whole file)")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right", fontsize=8)
    bd = summary["bd_rate_vs_jpeg"]
    title = f"{summary['images']} held-out images"
    if bd is not None:
        title += f" | BD-rate against JPEG: {bd:+.1f}%"
    figure.suptitle(title, fontweight="bold")
    path = Path(path)
    with dlapps.atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, format="png")
    return path
