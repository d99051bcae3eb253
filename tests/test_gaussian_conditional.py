"""GaussianConditional: the scale hyperprior's conditional entropy model."""

import math

import constriction
import numpy as np
import pytest

import dlapps


def normal_mass(value, scale):
    cdf = lambda x: 0.5 * math.erfc(-x / (scale * math.sqrt(2)))  # noqa: E731
    return cdf(value + 0.5) - cdf(value - 0.5)


def test_likelihood_is_the_gaussian_mass_of_each_bin():
    layer = dlapps.layers.GaussianConditional()
    values = np.array([[[[0.0, 1.0, -3.0, 40.0]]]], "float32")
    scales = np.array([[[[0.5, 2.0, 2.0, 1.0]]]], "float32")
    got = np.asarray(layer.likelihood(values, scales)).ravel()
    expected = [normal_mass(v, s) for v, s in zip(values.ravel(), scales.ravel(), strict=True)]
    np.testing.assert_allclose(got[:3], expected[:3], rtol=1e-5)
    assert got[3] == pytest.approx(1e-9)  # far tail: floored, never zero


def test_masses_of_all_integers_sum_to_one():
    layer = dlapps.layers.GaussianConditional()
    values = np.arange(-60, 61, dtype="float32").reshape(1, 1, -1, 1)
    for scale in (0.11, 1.0, 7.5):
        total = float(np.sum(layer.likelihood(values, np.full_like(values, scale))))
        assert total == pytest.approx(1.0, abs=1e-5)


def test_inference_rounds_and_snaps_scales_up_to_the_table():
    layer = dlapps.layers.GaussianConditional(seed=0)
    latents = np.array([[[[0.4, 1.6, -2.5]]]], "float32")
    scales = np.array([[[[0.01, 1.0, 300.0]]]], "float32")
    quantized, likelihoods = layer([latents, scales])
    np.testing.assert_array_equal(quantized, np.round(latents))
    table = layer.scale_table
    indexes = np.asarray(layer.scale_indexes(scales)).ravel()
    assert indexes[0] == 0 and indexes[2] == len(table) - 1
    assert table[indexes[1]] >= 1.0 > table[indexes[1] - 1]
    expected = np.asarray(layer.likelihood(np.round(latents), table[indexes].reshape(scales.shape)))
    np.testing.assert_allclose(likelihoods, expected)
    noisy, _ = layer([latents, scales], training=True)
    assert np.abs(np.asarray(noisy) - latents).max() <= 0.5


def test_table_scales_code_latents_with_constriction():
    rng = np.random.default_rng(0)
    layer = dlapps.layers.GaussianConditional()
    scales = rng.uniform(0.2, 20, 500).astype("float32")
    symbols = np.round(rng.normal(0, scales)).astype("int32")
    stds = layer.scale_table[np.asarray(layer.scale_indexes(scales))].astype("float64")
    model = constriction.stream.model.QuantizedGaussian(-1023, 1023)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(symbols, model, np.zeros(symbols.size), stds)
    words = encoder.get_compressed()
    decoded = constriction.stream.queue.RangeDecoder(words).decode(
        model, np.zeros(symbols.size), stds
    )
    np.testing.assert_array_equal(decoded, symbols)
    estimate = -np.log2(
        np.asarray(layer.likelihood(symbols.astype("float32"), stds.astype("float32")))
    ).sum()
    assert words.size * 32 == pytest.approx(estimate, rel=0.05, abs=64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale_min": 0.0}, "scale_min=0.0"),
        ({"scale_min": 5.0, "scale_max": 1.0}, "scale_max=1.0"),
        ({"table_size": 1}, "table_size=1"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dlapps.layers.GaussianConditional(**kwargs)
