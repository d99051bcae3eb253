"""The randomization sanity check (Adebayo et al. 2018)."""

import numpy as np
import pytest
from scipy import stats

import dlapps
from dlapps.explainers import (
    SanityCheck,
    compare_maps,
    randomized_weights,
    register_explainer,
    unregister_explainer,
)


@pytest.fixture
def input_echo():
    """A broken explainer: it returns the input, whatever the model."""

    @register_explainer("input_echo")
    def input_echo(model, features, target):
        return np.asarray(features), {}

    yield "input_echo"
    unregister_explainer("input_echo")


def test_an_explainer_that_ignores_the_model_is_flagged(shape_classifier, input_echo):
    import explained_models as models

    images, _, _ = models.shape_images(6, seed=2)
    explanation = dlapps.explain(shape_classifier, images, method=input_echo, sanity_check=True)
    assert not explanation.sanity.passed
    assert explanation.sanity.rank_correlation == pytest.approx(1.0)
    assert "FAILED" in explanation.title
    assert explanation.to_dict()["sanity_check"]["passed"] is False


def test_randomized_weights_are_random_and_restored(shape_classifier):
    trained = [w.copy() for w in shape_classifier.get_weights()]
    with randomized_weights(shape_classifier, seed=1) as model:
        randomized = model.get_weights()
    changed = [not np.array_equal(a, b) for a, b in zip(trained, randomized, strict=True)]
    kernels = [w.ndim >= 2 for w in trained]
    assert changed == kernels  # kernels redrawn, biases kept
    for before, after in zip(trained, shape_classifier.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_weights_are_restored_when_the_explainer_raises(shape_classifier):
    trained = [w.copy() for w in shape_classifier.get_weights()]
    with pytest.raises(RuntimeError), randomized_weights(shape_classifier):
        raise RuntimeError("explainer failed")
    for before, after in zip(trained, shape_classifier.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_maps_are_compared_by_rank_correlation_of_magnitudes():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(4, 10, 10))
    assert compare_maps(maps, maps).rank_correlation == pytest.approx(1.0)
    assert compare_maps(maps, -maps).rank_correlation == pytest.approx(1.0)  # |map|
    assert abs(compare_maps(maps, rng.normal(size=(4, 10, 10))).rank_correlation) < 0.2
    assert compare_maps(maps, maps, threshold=1.5).passed


def test_blank_and_tiny_maps_cannot_be_ranked():
    maps = np.random.default_rng(1).normal(size=(3, 10))
    blank = np.zeros_like(maps)
    # A blank trained map is left out: it must not pass by correlating with nothing.
    mixed = np.concatenate([blank[:2], maps[:1]])
    assert compare_maps(mixed, mixed).rank_correlation == pytest.approx(1.0)
    every_blank = compare_maps(blank, maps)
    assert not every_blank.applicable and every_blank.note == "every map is blank"
    # A randomized map gone blank keeps nothing of the trained ranking.
    assert compare_maps(maps, blank).rank_correlation == 0.0
    tiny = compare_maps(maps[:, :2], maps[:, :2])
    assert not tiny.applicable
    assert str(tiny) == "sanity check n/a (under 3 values per input to rank)"


def test_padding_is_left_out_of_the_comparison():
    rng = np.random.default_rng(2)
    trained, randomized = rng.normal(size=(2, 2, 12))
    trained[:, 6:] = randomized[:, 6:] = 0  # padding: zero whatever the weights
    valid = np.zeros((2, 12), bool)
    valid[:, :6] = True
    with_padding = compare_maps(trained, randomized).rank_correlation
    without = compare_maps(trained, randomized, valid=valid).rank_correlation
    pairs = zip(np.abs(trained[:, :6]), np.abs(randomized[:, :6]), strict=True)
    expected = np.mean([stats.spearmanr(a, b).statistic for a, b in pairs])
    assert without == pytest.approx(expected)
    assert with_padding > without  # shared zeros agree, and would hide a failure


def test_shown_correlation_agrees_with_the_verdict():
    assert str(SanityCheck(0.4999)) == "sanity check passed (rank corr. 0.49 < 0.5)"
    assert str(SanityCheck(0.5001)).endswith("(rank corr. 0.51 >= 0.5)")


def test_sanity_check_verdicts():
    assert SanityCheck(0.2).passed and str(SanityCheck(0.2)).startswith("sanity check passed")
    assert not SanityCheck(0.9).passed and "FAILED" in str(SanityCheck(0.9))
    assert not SanityCheck(0.3, threshold=0.25).passed
    not_applicable = SanityCheck(None, note="every map is blank")
    assert not not_applicable.applicable and not not_applicable.passed
    assert str(not_applicable) == "sanity check n/a (every map is blank)"
