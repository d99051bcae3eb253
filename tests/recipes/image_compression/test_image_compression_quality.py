"""Slow quality check: trained on the synthetic default at two lmbda values,
the codec's real files beat JPEG in PSNR at the same bits per pixel on the
held-out images, and its BD-rate against JPEG is negative."""

import json

import pytest

from dlapps.cli import main

LAMBDAS = (0.004, 0.02)


@pytest.mark.slow
def test_codec_beats_jpeg_between_a_quarter_and_one_bit_per_pixel(tmp_path):
    runs = []
    for lmbda in LAMBDAS:
        run_dir = tmp_path / f"lmbda_{lmbda}"
        assert main(["train", "image_compression", "--set", f"lmbda={lmbda}",
                     "--out", str(run_dir)]) == 0  # fmt: skip
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert metrics["psnr"] > metrics["jpeg_psnr"], metrics
        runs.append(str(run_dir))
    assert main(["rd-curve", *runs, "--out", str(tmp_path / "rd")]) == 0
    summary = json.loads((tmp_path / "rd" / "rd.json").read_text())
    rates = [point["bpp"] for point in summary["dlapps"]]
    assert min(rates) < 0.4 and max(rates) > 0.7, rates
    assert summary["bd_rate_vs_jpeg"] < 0, summary["bd_rate_vs_jpeg"]
