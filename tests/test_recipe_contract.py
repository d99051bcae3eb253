"""The contract every registered recipe passes: a recipe added to the
`dlapps.recipes` entry-point group is tested here on arrival."""

import pytest

import dlapps
from dlapps import testing

RECIPES = dlapps.list_recipes()


@pytest.fixture(scope="module", params=RECIPES)
def trained(request, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp(request.param) / "run"
    return testing.train_for_test(request.param, run_dir)


@pytest.mark.parametrize("name", RECIPES)
def test_metadata(name):
    testing.run_metadata_test(name)


@pytest.mark.parametrize("name", RECIPES)
def test_metadata_reads_without_tensorflow(name):
    testing.run_light_import_test(name)


def test_run_folder(trained):
    recipe, _ = trained
    testing.run_run_folder_test(recipe)


def test_model_keras_round_trip_in_safe_mode(trained):
    recipe, _ = trained
    testing.run_serialization_test(recipe)


def test_saved_model_export_matches_keras(trained, tmp_path):
    recipe, _ = trained
    testing.run_export_test(recipe, tmp_path / "export")


def test_evaluate_returns_declared_metrics(trained):
    recipe, val = trained
    testing.run_evaluate_test(recipe, val)


def test_predict_returns_one_result_per_input(trained):
    recipe, _ = trained
    testing.run_predict_test(recipe)


def test_default_explanation_is_finite_aligned_and_sane(trained, tmp_path):
    recipe, _ = trained
    testing.run_explain_test(recipe, tmp_path)


def test_cli_explain_writes_a_figure(trained, tmp_path):
    recipe, _ = trained
    testing.run_cli_explain_test(recipe, tmp_path)
