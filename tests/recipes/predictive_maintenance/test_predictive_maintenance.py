import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf

import dlapps
from dlapps import testing
from dlapps.cli import main
from dlapps.recipes.predictive_maintenance import predictive_maintenance_metrics as metrics
from dlapps.recipes.predictive_maintenance import predictive_maintenance_readings as readings
from dlapps.recipes.predictive_maintenance import predictive_maintenance_synthesis as synthesis
from dlapps.recipes.predictive_maintenance import predictive_maintenance_windows as windows
from dlapps.recipes.predictive_maintenance.predictive_maintenance_baseline import (
    window_statistics,
)
from dlapps.recipes.predictive_maintenance.predictive_maintenance_layers import (
    ConditionNormalization,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = ["--set", "epochs=1", "--set", "filters=8", "--set", "units=8", "--set", "batch_size=64"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return testing.train_for_test("predictive_maintenance", tmp_path_factory.mktemp("pm") / "run")


@pytest.fixture(scope="module")
def cmapss(tmp_path_factory):
    """A train / test / RUL triple in the published C-MAPSS layout."""
    folder = tmp_path_factory.mktemp("CMAPSSData")
    train = synthesis.simulate_fleet(16, seed=3)
    test, rul = synthesis.truncate_fleet(synthesis.simulate_fleet(6, seed=4), seed=5)
    (folder / "train_FD002.txt").write_text(synthesis.format_cmapss(train))
    (folder / "test_FD002.txt").write_text(synthesis.format_cmapss(test))
    (folder / "RUL_FD002.txt").write_text("".join(f"{r}\n" for r in rul))
    return folder


CSV_HEADER = "engine,t,altitude,mach,tra," + ",".join(synthesis.SENSOR_NAMES)


def write_csv(path, rows, header=CSV_HEADER):
    lines = [header] + [
        ",".join([f"E{int(r[0])}", str(int(r[1]))] + [f"{v:.4f}" for v in r[2:]]) for r in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_cli(args, capsys):
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# Synthetic data.


def test_simulator_is_deterministic_runs_to_failure_and_needs_normalization():
    rows = synthesis.simulate_fleet(8, seed=1)
    np.testing.assert_array_equal(rows, synthesis.simulate_fleet(8, seed=1))
    assert not np.allclose(rows[:100], synthesis.simulate_fleet(8, seed=2)[:100])
    assert rows.shape[1] == 26
    fleet = readings.fleet_from_rows(rows)
    lives = [stop - start for _, start, stop in fleet.runs()]
    assert fleet.unit_ids == list(range(1, 9)) and min(lives) >= 128
    for _, start, stop in fleet.runs():  # cycles count 1..life
        np.testing.assert_array_equal(fleet.time[start:stop], np.arange(1, stop - start + 1))
    # Operating conditions move a sensor far more than wear does.
    altitude = np.round(rows[:, 2])
    assert len(np.unique(altitude)) == 6
    s2 = rows[:, 6]
    assert s2.std() > 20 * np.std(s2[altitude == altitude[0]][:50])


def test_truncated_fleet_keeps_the_true_remaining_life():
    rows = synthesis.simulate_fleet(5, seed=1)
    cut, rul = synthesis.truncate_fleet(rows, seed=2)
    for unit, remaining in zip(range(1, 6), rul, strict=True):
        assert (rows[:, 0] == unit).sum() - (cut[:, 0] == unit).sum() == remaining
        assert remaining >= 1


# Reading files.


def test_cmapss_files_read_back_as_written(cmapss):
    fleet = readings.read_fleet(cmapss / "train_FD002.txt")
    rows = synthesis.simulate_fleet(16, seed=3)
    assert fleet.setting_names == synthesis.SETTING_NAMES and len(fleet.sensor_names) == 21
    np.testing.assert_allclose(fleet.values, rows[:, 2:], atol=6e-5, rtol=1e-6)
    assert fleet.unit_ids == list(range(1, 17))


def test_csv_reads_named_columns_in_any_order_and_sorts_by_unit_and_time(tmp_path):
    path = tmp_path / "pumps.csv"
    path.write_text("t,flow,engine,vibration\n2,1.5,B,0.2\n1,1.0,B,0.1\n1,3.0,A,0.3\n")
    fleet = readings.read_fleet(path, "engine", "t", "auto")
    assert fleet.unit_ids == ["B", "A"] and fleet.sensor_names == ("flow", "vibration")
    assert fleet.setting_names == ()
    np.testing.assert_array_equal(fleet.time, [1, 2, 1])
    np.testing.assert_allclose(fleet.values, [[1.0, 0.1], [1.5, 0.2], [3.0, 0.3]])


def test_missing_readings_are_filled_from_the_same_unit_and_reported(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("unit,cycle,a,b\n1,1,,5\n1,2,2,NaN\n1,3,3,\n2,1,9,1\n")
    with pytest.warns(UserWarning, match=r"filled 3 missing readings.*a \(1\), b \(2\)"):
        fleet = readings.read_fleet(path)
    np.testing.assert_allclose(fleet.values, [[2, 5], [2, 5], [3, 5], [9, 1]])


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("train_FD001.txt", "1 1 " + "0.5 " * 24 + "\n1 2 " + "0.5 " * 23 + "\n",
         r"train_FD001.txt, line 2: expected 26 space-separated columns .* found 25"),
        ("train_FD001.txt", "1 1 " + "0.5 " * 24 + "\n1 2 0.5 abc" + " 0.5" * 22 + "\n",
         r"train_FD001.txt, line 2, column setting2: not a number: 'abc'"),
        ("train_FD001.txt", "", r"train_FD001.txt is empty"),
        ("train_FD001.txt", "\n\n", r"train_FD001.txt holds no readings"),
        ("r.csv", "unit,cycle,a\n1,1,2\n1,2\n", r"r.csv, line 3: expected 3 comma-separated"),
        ("r.csv", "unit,cycle,a\n1,1,2\n1,2,warm\n", r"r.csv, line 3, column a: not a number"),
        ("r.csv", "id,cycle,a\n1,1,2\n", r"r.csv, line 1: no column 'unit' for unit_column"),
        ("r.csv", "unit,cycle,a\n1,1,2\n1,1,3\n", r"line 3: cycle 1 of unit 1 repeats line 2"),
        ("r.csv", "unit,cycle,a\n1,,2\n", r"r.csv, line 2, column cycle: the value is missing"),
    ],
)  # fmt: skip
def test_corrupt_files_are_rejected_naming_file_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(dlapps.errors.DataError, match=message):
        readings.read_fleet(path)


def test_rul_file_must_give_one_value_per_test_unit(tmp_path):
    path = tmp_path / "RUL_FD001.txt"
    path.write_text("12\n30\n")
    np.testing.assert_array_equal(readings.read_rul_file(path, 2), [12, 30])
    with pytest.raises(dlapps.errors.DataError, match="gives 2 true RUL values for .* 3 units"):
        readings.read_rul_file(path, 3)


# Normalization, windows, metrics, baseline.


def test_normalization_finds_the_conditions_and_standardizes_within_each():
    rows = synthesis.simulate_fleet(6, seed=1)
    layer = ConditionNormalization(setting_count=3)
    labels = layer.adapt(rows[:, 2:])
    assert layer.conditions == 6
    # The condition-only sensors s1, s5, s10, s16, s18, s19 are dropped.
    assert [i for i, c in enumerate(layer.constant) if c] == list(synthesis.CONDITION_ONLY)
    out = np.asarray(layer(rows[None, :, 2:].astype("float32")))[0]
    for condition in range(6):
        chosen = out[labels == condition]
        np.testing.assert_allclose(chosen[:, 1].mean(), 0, atol=1e-3)
        np.testing.assert_allclose(chosen[:, 1].std(), 1, atol=1e-3)
    assert np.all(out[:, list(synthesis.CONDITION_ONLY)] == 0)
    missing = rows[None, :2, 2:].astype("float32").copy()
    missing[0, 0, 5] = np.nan
    assert np.asarray(layer(missing))[0, 0, 2] == 0  # NaN reads as the condition's average
    revived = ConditionNormalization.from_config(layer.get_config())
    np.testing.assert_allclose(np.asarray(revived(missing)), np.asarray(layer(missing)))


def test_normalization_asked_for_a_number_of_conditions_uses_it():
    rows = synthesis.simulate_fleet(3, seed=1)[:, 2:]
    layer = ConditionNormalization(setting_count=3)
    layer.adapt(rows, conditions=2)
    assert layer.conditions == 2
    single = ConditionNormalization(setting_count=3)
    single.adapt(synthesis.simulate_fleet(3, seed=1, conditions=1)[:, 2:])
    assert single.conditions == 1


def test_windows_pad_short_units_and_targets_are_capped():
    np.testing.assert_array_equal(
        windows.window_rows(10, 14, window=3), [[10, 10, 10], [10, 10, 11], [10, 11, 12],
                                                [11, 12, 13]]
    )  # fmt: skip
    fleet = readings.fleet_from_rows(synthesis.simulate_fleet(2, seed=1))
    every = windows.all_windows(fleet, 30)
    (_, start, stop), _ = fleet.runs()
    assert every.rul[0] == stop - start - 1 and every.rul[stop - start - 1] == 0
    target = windows.targets([200, 125, 30, 31, 0], max_rul=125, horizon=30)
    np.testing.assert_array_equal(target["rul"][:, 0], [125, 125, 30, 31, 0])
    np.testing.assert_array_equal(target["failure_probability"][:, 0], [0, 0, 1, 0, 1])


def test_nasa_score_penalizes_late_predictions_more():
    # d = -13: exp(1) - 1; d = +10: exp(1) - 1; d = 0: 0.
    np.testing.assert_allclose(
        metrics.nasa_score([37, 60, 5], [50, 50, 5]), 2 * (np.e - 1), rtol=1e-12
    )
    assert metrics.nasa_score([60], [50]) > metrics.nasa_score([40], [50])
    np.testing.assert_allclose(metrics.rmse([1, 5], [1, 1]), np.sqrt(8))
    scores = metrics.alert_scores([1, 1, 0, 0], [1, 0, 1, 0])
    assert scores == {"alert_precision": 0.5, "alert_recall": 0.5}
    assert metrics.alert_scores([0, 0], [0, 0]) == {"alert_precision": 0.0, "alert_recall": 0.0}


def test_window_statistics_are_last_mean_and_slope():
    window = np.stack([np.arange(5.0), 2 * np.arange(5.0) + 1], axis=1)[None]
    stats = window_statistics(window)[0]
    np.testing.assert_allclose(stats, [4, 9, 2, 5, 1, 2])


# The trained recipe.


def test_predict_gives_rul_probability_and_alert_per_window(trained):
    recipe, _ = trained
    inputs = recipe.example_inputs()
    results = recipe.predict(inputs)
    outputs = recipe.model.predict(inputs, verbose=0)
    for result, rul, failure in zip(
        results, outputs["rul"][:, 0], outputs["failure_probability"][:, 0], strict=True
    ):
        assert 0 <= result["rul"] <= recipe.config.max_rul
        np.testing.assert_allclose(result["rul"], rul, atol=0.01)
        assert result["alert"] == (failure >= recipe.config.alert_threshold)


def test_evaluate_reports_the_baseline_and_draws_the_figure(trained):
    recipe, val = trained
    results = recipe.evaluate(val)
    for key in ("rmse", "baseline_rmse", "baseline_nasa_score", "rmse_vs_baseline"):
        assert np.isfinite(results[key]), key
    np.testing.assert_allclose(
        results["rmse_vs_baseline"], results["rmse"] / results["baseline_rmse"]
    )
    assert (recipe.run_dir / "rul_predictions.png").read_bytes()[:8] == PNG_MAGIC


def test_explanation_is_a_sensor_by_time_map_with_sensor_names(trained):
    recipe, _ = trained
    explanation = recipe.explain(recipe.example_inputs()[:2])
    assert explanation.kind == "series"
    assert np.asarray(explanation.attributions).shape == (2, recipe.config.window, 21)
    assert explanation.extras["feature_names"] == list(synthesis.SENSOR_NAMES)
    assert explanation.labels[0].startswith("RUL = ")
    attributions = np.abs(np.asarray(explanation.attributions))
    constant = list(synthesis.CONDITION_ONLY)  # ignored by the model, so no attribution
    assert np.all(attributions[..., constant] == 0)
    assert np.all(attributions.sum(axis=1)[:, [1, 5, 13]] > 0)


def test_served_model_takes_a_raw_window(trained, tmp_path):
    recipe, _ = trained
    loaded = tf.saved_model.load(str(recipe.export(tmp_path / "export")))
    inputs = recipe.example_inputs()
    served = loaded.signatures["serving_default"](readings=tf.constant(inputs))
    expected = recipe.model.predict(inputs, verbose=0)
    np.testing.assert_allclose(served["rul"], expected["rul"][:, 0], rtol=1e-5, atol=1e-4)
    assert served["alert"].dtype == tf.bool


# Through the CLI.


def test_cmapss_triple_trains_and_evaluates_through_the_cli(cmapss, tmp_path, capsys):
    run_dir = tmp_path / "run"
    constant = "Ignoring sensors constant within every operating condition: s1, s5, s10, s16"
    with pytest.warns(UserWarning, match=constant):
        status, out, err = run_cli(["train", "predictive_maintenance", "--data",
                                    str(cmapss / "train_FD002.txt"), *SMALL, "--out",
                                    str(run_dir)], capsys)  # fmt: skip
    assert status == 0, err
    report = tmp_path / "test.json"
    status, out, err = run_cli(["evaluate", str(run_dir), "--data", str(cmapss / "test_FD002.txt"),
                                "--json", str(report)], capsys)  # fmt: skip
    assert status == 0, err
    results = json.loads(report.read_text())
    assert results["units"] == 6  # the last window of each test unit
    for key in ("rmse", "nasa_score", "alert_precision", "alert_recall", "baseline_rmse"):
        assert key in results
    # Predict and explain in a fresh process: the model reloads there too.
    test_file = cmapss / "test_FD002.txt"
    result = subprocess.run(
        [sys.executable, "-m", "dlapps", "predict", str(run_dir), str(test_file)],
        capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    units = json.loads(result.stdout)["units"]
    assert [u["unit"] for u in units] == list(range(1, 7))
    test_rows = readings.read_fleet(test_file)
    assert [u["cycles"] for u in units] == [b - a for _, a, b in test_rows.runs()]
    status, out, err = run_cli(["explain", str(run_dir), f"{test_file}:3", "--out",
                                str(tmp_path / "why")], capsys)  # fmt: skip
    assert status == 0, err
    assert f"{test_file}:3: unit 3: RUL = " in out
    assert (tmp_path / "why" / "saliency.png").read_bytes()[:8] == PNG_MAGIC


def test_a_test_file_is_for_evaluation_and_needs_its_rul_file(cmapss, tmp_path, capsys):
    status, _, err = run_cli(["train", "predictive_maintenance", "--data",
                              str(cmapss / "test_FD002.txt"), *SMALL, "--out",
                              str(tmp_path / "run")], capsys)  # fmt: skip
    assert status == 1 and "train on the run-to-failure units of" in err
    lonely = tmp_path / "test_FD009.txt"
    lonely.write_text((cmapss / "test_FD002.txt").read_text())
    status, _, err = run_cli(["train", "predictive_maintenance", "--data", str(lonely),
                              "--out", str(tmp_path / "run2")], capsys)  # fmt: skip
    assert status == 1 and "RUL_FD009.txt beside it is missing" in err


def test_generic_csv_trains_evaluates_and_predicts_through_the_cli(tmp_path, capsys):
    rows = synthesis.simulate_fleet(14, seed=6)
    data = write_csv(tmp_path / "fleet.csv", rows)
    run_dir = tmp_path / "run"
    columns = ["--set", "unit_column=engine", "--set", "time_column=t",
               "--set", "setting_columns=altitude,mach,tra"]  # fmt: skip
    status, _, err = run_cli(["train", "predictive_maintenance", "--data", str(data), *SMALL,
                              *columns, "--out", str(run_dir)], capsys)  # fmt: skip
    assert status == 0, err
    status, out, err = run_cli(["evaluate", str(run_dir)], capsys)
    assert status == 0, err
    assert "baseline_rmse" in out and "alert_recall" in out
    in_service = write_csv(tmp_path / "readings.csv", synthesis.truncate_fleet(rows[:600], 1)[0])
    status, out, err = run_cli(["predict", str(run_dir), str(in_service)], capsys)
    assert status == 0, err
    units = json.loads(out)["units"]
    assert [u["unit"] for u in units] == sorted({f"E{int(u)}" for u in rows[:600, 0]})
    assert all(set(u) == {"unit", "cycle", "cycles", "rul", "failure_probability", "alert"}
               for u in units)  # fmt: skip
    # The model's columns are the CSV's names: a file without them is refused.
    renamed = "engine,t,altitude,mach,tra," + ",".join(f"x{i}" for i in range(1, 22))
    wrong = write_csv(tmp_path / "other.csv", rows[:50], header=renamed)
    status, _, err = run_cli(["predict", str(run_dir), str(wrong)], capsys)
    assert status == 1 and "differ from the model's" in err


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 1 " + "0.5 " * 24 + "\n1 2 0.5\n", "line 2: expected 26 space-separated columns"),
        ("1 1 " + "0.5 " * 23 + "x\n", "line 1, column s21: not a number: 'x'"),
        ("", "is empty"),
    ],
)
def test_corrupt_inputs_exit_with_one_line_naming_file_and_line(trained, tmp_path, capsys,
                                                                text, message):  # fmt: skip
    recipe, _ = trained
    path = tmp_path / "train_FD001.txt"
    path.write_text(text)
    for args in (["predict", str(recipe.run_dir), str(path)],
                 ["train", "predictive_maintenance", "--data", str(path), "--out",
                  str(tmp_path / "run")]):  # fmt: skip
        status, _, err = run_cli(args, capsys)
        assert status == 1 and str(path) in err and message in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_fine_tuning_keeps_the_earlier_runs_normalization(trained, tmp_path):
    recipe, _ = trained
    tuned = dlapps.load_recipe(
        "predictive_maintenance", init_from=recipe.run_dir,
        **{**type(recipe).smoke_overrides, "synthetic_units": 8, "seed": 7},
    )  # fmt: skip
    train, val = tuned.load_data("synthetic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tuned.fit(train.take(2), val.take(2), run_dir=tmp_path / "tuned", verbose=0)
    before = recipe.model.get_layer("normalize").get_config()
    after = tuned.model.get_layer("normalize").get_config()
    assert after["means"] == before["means"] and after["centroids"] == before["centroids"]


def test_fleets_of_other_seeds_are_other_units_of_the_same_engine():
    first = synthesis.simulate_fleet(3, seed=1)
    second = synthesis.simulate_fleet(3, seed=2)
    assert not np.array_equal(first[:, 1], second[:, 1][: len(first)])  # other lives
    layer = ConditionNormalization(setting_count=3)
    layer.adapt(first[:, 2:])
    normalized = np.asarray(layer(second[None, :, 2:].astype("float32")))[0]
    # The second fleet reads on the first one's scale: same levels, same noise.
    assert np.abs(normalized.mean(axis=0)).max() < 1.0
    assert normalized.std(axis=0).max() < 3.0


def test_cuts_keep_part_of_each_run_even_a_one_cycle_run():
    rows = synthesis.simulate_fleet(2, seed=1)
    short = np.concatenate([rows[:1], rows[rows[:, 0] == 2]])  # unit 1 has one cycle
    fleet = readings.fleet_from_rows(short)
    cut = windows.cut_windows(fleet, window=30, cuts=50, seed=0)
    one, other = cut.rows[:50], cut.rows[50:]
    assert np.all(one == 0) and np.all(cut.rul[:50] == 0)
    life = len(short) - 1
    assert cut.rul[50:].min() >= 1 and cut.rul[50:].max() <= life - 30
    assert np.all(other >= 1)


def test_the_default_gru_preset_trains_reloads_and_exports(tmp_path):
    recipe, val = testing.train_for_test("predictive_maintenance", tmp_path / "run", preset="gru")
    assert recipe.model.get_layer("gru2") is not None
    testing.run_serialization_test(recipe)
    testing.run_export_test(recipe, tmp_path / "export")
    testing.run_predict_test(recipe)
    testing.run_evaluate_test(recipe, val)
