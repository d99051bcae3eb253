"""Slow quality check, through the CLI as the docs describe it: one codec
trained on the synthetic default at lmbda 0.01, two more quality levels
fine-tuned from it, and their real files against JPEG on the held-out
images: BD-rate negative between about 0.25 and 1 bit per pixel."""

import json

import pytest

from dlapps.cli import main

BASE_LAMBDA = 0.01
FINE_TUNED_LAMBDAS = (0.003, 0.03)


@pytest.mark.slow
def test_codec_beats_jpeg_between_a_quarter_and_one_bit_per_pixel(tmp_path):
    base = tmp_path / f"lmbda_{BASE_LAMBDA}"
    assert main(["train", "image_compression", "--set", f"lmbda={BASE_LAMBDA}",
                 "--out", str(base)]) == 0  # fmt: skip
    runs = [str(base)]
    for lmbda in FINE_TUNED_LAMBDAS:
        run_dir = tmp_path / f"lmbda_{lmbda}"
        assert main(["train", "image_compression", "--init-from", str(base),
                     "--set", f"lmbda={lmbda}", "--set", "learning_rate=0.0005",
                     "--epochs", "30", "--out", str(run_dir)]) == 0  # fmt: skip
        runs.append(str(run_dir))
    assert main(["rd-curve", *runs, "--out", str(tmp_path / "rd")]) == 0
    summary = json.loads((tmp_path / "rd" / "rd.json").read_text())
    rates = [point["bpp"] for point in summary["dlapps"]]
    assert min(rates) < 0.35 and max(rates) > 0.8, rates
    assert summary["bd_rate_vs_jpeg"] < 0, summary["bd_rate_vs_jpeg"]
