"""Slow quality check, through the CLI as the docs describe it: the network
trained on the synthetic default against the gradient-boosting baseline,
on the held-out units and on a test fleet it never saw, written as a
C-MAPSS test triple."""

import json

import pytest

from dlapps.cli import main
from dlapps.recipes.predictive_maintenance import predictive_maintenance_synthesis as synthesis

TEST_UNITS = 300


def check(metrics):
    assert metrics["rmse"] <= 0.85 * metrics["baseline_rmse"], metrics
    assert metrics["alert_recall"] >= 0.9, metrics


@pytest.mark.slow
def test_network_beats_gradient_boosting_and_alerts_before_failure(tmp_path):
    run_dir = tmp_path / "run"
    assert main(["train", "predictive_maintenance", "--out", str(run_dir)]) == 0
    assert main(["evaluate", str(run_dir), "--json", str(tmp_path / "held_out.json")]) == 0
    check(json.loads((tmp_path / "held_out.json").read_text()))

    # The same training units as the default (the baseline trains on them),
    # and a fresh fleet cut short, with its true RUL.
    train = synthesis.simulate_fleet(260, seed=42)
    test, rul = synthesis.truncate_fleet(synthesis.simulate_fleet(TEST_UNITS, seed=2026), 7)
    (tmp_path / "train_SYN.txt").write_text(synthesis.format_cmapss(train))
    (tmp_path / "test_SYN.txt").write_text(synthesis.format_cmapss(test))
    (tmp_path / "RUL_SYN.txt").write_text("".join(f"{r}\n" for r in rul))
    report = tmp_path / "test.json"
    assert main(["evaluate", str(run_dir), "--data", str(tmp_path / "test_SYN.txt"),
                 "--json", str(report)]) == 0  # fmt: skip
    metrics = json.loads(report.read_text())
    assert metrics["units"] == TEST_UNITS
    check(metrics)
