"""The precision part of the recipe contract: every registered recipe trains
under mixed precision with float32 outputs. A file of its own, so the test
workers share the contract's load."""

import pytest

import dlapps
from dlapps import testing

RECIPES = dlapps.list_recipes()


@pytest.mark.slow  # the engine's loss scaling is tested on the toy recipe in CI
@pytest.mark.parametrize("name", RECIPES)
def test_trains_under_mixed_float16_with_loss_scaling(name, tmp_path):
    recipe, val = testing.train_for_test(name, tmp_path / "run", steps=2, precision="mixed_float16")
    testing.run_mixed_precision_test(recipe, "mixed_float16")
    testing.run_evaluate_test(recipe, val)


@pytest.mark.parametrize("name", RECIPES)
def test_trains_under_mixed_bfloat16_with_xla(name, tmp_path):
    recipe, val = testing.train_for_test(
        name, tmp_path / "run", steps=2, precision="mixed_bfloat16", jit_compile=True
    )
    testing.run_mixed_precision_test(recipe, "mixed_bfloat16")
    testing.run_evaluate_test(recipe, val)
