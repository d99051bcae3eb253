import json
import re
import subprocess
import sys

import pytest

from dlapps.cli import main


def dlapps_cli(*args, cwd=None):
    """Runs `python -m dlapps ARGS` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "dlapps", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("cli") / "p"
    assert (
        main(
            ["train", "perceptron", "--epochs", "3", "--set", "num_examples=300", "--out", str(run)]
        )
        == 0
    )
    return run


def test_list_prints_name_task_and_summary(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    perceptron = next(line for line in lines if line.startswith("perceptron "))
    assert re.match(
        r"perceptron +Rosenblatt's perceptron: .* \[binary classification\]$", perceptron
    )


def test_info_shows_hyperparameters(capsys):
    assert main(["info", "perceptron"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  learning_rate +0\.1 +float$", out, re.MULTILINE)
    assert re.search(r"^  optimizer +'sgd' +one of 'sgd', 'adam', 'rmsprop'$", out, re.MULTILINE)


def test_train_writes_a_run_folder(run_dir):
    for name in ("config.json", "history.csv", "metrics.json", "model.keras", "model_card.md"):
        assert (run_dir / name).is_file()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["recipe"] == "perceptron"
    assert config["config"]["epochs"] == 3 and config["config"]["num_examples"] == 300
    assert len((run_dir / "history.csv").read_text().strip().splitlines()) == 4
    card = (run_dir / "model_card.md").read_text()
    assert "# Model card: perceptron" in card and "| accuracy |" in card


def test_evaluate_prints_and_writes_metrics(run_dir, tmp_path, capsys):
    assert main(["evaluate", str(run_dir), "--json", str(tmp_path / "m.json")]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "mistakes"}
    assert metrics["accuracy"] > 0.9
    assert "accuracy" in capsys.readouterr().out


def test_predict_prints_one_json_object_per_input(run_dir, capsys):
    assert main(["predict", str(run_dir), "0.5,1010", "-1,900"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    results = [json.loads(line) for line in lines]
    assert [r["input"] for r in results] == ["0.5,1010", "-1,900"]
    assert all(r["label"] in ([0], [1]) for r in results)


def test_explain_writes_a_figure(run_dir, tmp_path, capsys):
    assert main(["explain", str(run_dir), "-0.5,1010", "1,900", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((tmp_path / "decision_boundary.json").read_text())
    assert summary["inputs"] == ["-0.5,1010", "1,900"]
    assert len(summary["attributions"]) == 2
    # Two features are too few to rank, so the randomization check does not apply.
    assert summary["sanity_check"]["applicable"] is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("-0.5,1010: score = ")
    assert out[2] == "sanity check n/a (under 3 values per input to rank)"


def test_explain_method_and_no_sanity_check(run_dir, tmp_path, capsys):
    args = ["explain", str(run_dir), "-0.5,1010", "--method", "integrated_gradients"]
    assert main([*args, "--no-sanity-check", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "integrated_gradients.json").read_text())
    assert summary["sanity_check"] is None
    assert summary["completeness"]["passed"] is True
    assert "sanity check" not in capsys.readouterr().out


def test_explain_target_must_name_a_class(run_dir, capsys):
    assert main(["explain", str(run_dir), "1,2", "--target", "tuesday"]) == 1
    assert "Unknown explanation target" in capsys.readouterr().err


def test_export_saved_model_and_tflite(run_dir, tmp_path):
    assert main(["export", str(run_dir), "--out", str(tmp_path / "sm")]) == 0
    assert (tmp_path / "sm" / "saved_model.pb").is_file()
    assert (
        main(["export", str(run_dir), "--format", "tflite", "--out", str(tmp_path / "p.tflite")])
        == 0
    )
    assert (tmp_path / "p.tflite").stat().st_size > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "perceptorn"], "Unknown recipe 'perceptorn'. Did you mean: perceptron?"),
        (["train", "perceptron", "--set", "nonexistent=1"], "Unknown hyperparameter 'nonexistent'"),
        (["train", "perceptron", "--set", "epochs=abc"], "'epochs' expects int"),
        (["train", "perceptron", "--epochs", "abc"], "'epochs' expects int"),
        (["train", "perceptron", "--set", "epochs"], "Overrides must look like KEY=VALUE"),
        (["train", "perceptron", "--data", "no/such/data.csv"], "Data path not found"),
        (["train", "perceptron", "--freeze-backbone"], "--freeze-backbone needs --init-from"),
        (["train", "perceptron", "--init-from", "no/such/run"], "Run folder not found"),
        (["train", "perceptron", "--strategy", "quantum"], "Invalid value for '--strategy'"),
        (["evaluate", "no/such/run"], "Run folder not found: no/such/run"),
        (["predict", "no/such/run", "1,2"], "Run folder not found"),
        (["explain", "no/such/run", "1,2"], "Run folder not found"),
        (["export", "no/such/run"], "Run folder not found"),
        (["info", "nope"], "Unknown recipe 'nope'"),
        (["list", "nope*"], "No recipe matches"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_user_errors_end_with_one_clear_line(args, message, tmp_path):
    result = dlapps_cli(*args, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dlapps: error: ")
    assert message in lines[0]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_bad_predict_input_is_a_user_error(run_dir, capsys):
    assert main(["predict", str(run_dir), "1;2"]) == 1
    assert "Input must be two comma-separated numbers" in capsys.readouterr().err


def test_finished_run_folder_is_never_overwritten(run_dir, capsys):
    before = (run_dir / "model.keras").read_bytes()
    assert main(["train", "perceptron", "--out", str(run_dir)]) == 1
    assert "already holds a finished run" in capsys.readouterr().err
    assert (run_dir / "model.keras").read_bytes() == before


def test_unknown_explain_method_is_a_user_error(run_dir, capsys):
    assert main(["explain", str(run_dir), "1,2", "--method", "astrology"]) == 1
    assert "Unknown explanation method" in capsys.readouterr().err


def test_export_refuses_an_existing_target(run_dir, tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    assert main(["export", str(run_dir), "--out", str(tmp_path / "taken")]) == 1
    assert "Export target exists" in capsys.readouterr().err


def test_recipes_add_their_own_commands(tmp_path, capsys):
    from toy_recipe import ToyClassifier

    recipe = ToyClassifier(epochs=1)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir=tmp_path / "toy", verbose=0)
    assert main(["--help"]) == 0
    assert "toy-count" in capsys.readouterr().out
    assert main(["toy-count", str(tmp_path / "toy")]) == 0
    assert int(capsys.readouterr().out) == recipe.model.count_params()
