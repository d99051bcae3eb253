"""EntropyBottleneck: learned factorized prior, rate and coding tables."""

import keras
import numpy as np
import pytest

import dlapps


def gaussian_latents(scale, count=2048, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (count, 2, 2, 2)).astype("float32")


def test_likelihoods_of_all_integers_sum_to_one_per_channel():
    layer = dlapps.layers.EntropyBottleneck()
    layer.build((None, 1, 1, 3))
    values = np.arange(-200, 201, dtype="float32").reshape(-1, 1, 1, 1)
    values = np.repeat(values, 3, axis=-1)
    totals = np.asarray(layer.likelihood(values)).sum(axis=0)
    np.testing.assert_allclose(totals.ravel(), 1.0, atol=1e-4)


def test_rounds_at_inference_and_adds_bounded_noise_in_training():
    layer = dlapps.layers.EntropyBottleneck(seed=1)
    x = gaussian_latents(3.0, count=64)
    quantized, likelihoods = layer(x)
    np.testing.assert_array_equal(quantized, np.round(x))
    assert likelihoods.shape == x.shape and float(np.min(likelihoods)) > 0
    noisy, _ = layer(x, training=True)
    difference = np.asarray(noisy) - x
    assert np.abs(difference).max() <= 0.5 and np.abs(difference).mean() > 0.2


def test_learned_rate_approaches_the_entropy_of_the_quantized_latents():
    keras.utils.set_random_seed(0)
    x = gaussian_latents(3.0)
    layer = dlapps.layers.EntropyBottleneck(seed=0)
    layer.build(x.shape)
    optimizer = keras.optimizers.Adam(0.01)
    import tensorflow as tf

    for _ in range(300):
        with tf.GradientTape() as tape:
            _, likelihoods = layer(x, training=True)
            bits = -tf.reduce_mean(tf.math.log(likelihoods)) / np.log(2.0)
        optimizer.apply(tape.gradient(bits, layer.trainable_weights), layer.trainable_weights)
    _, likelihoods = layer(x)
    rate = float(-np.mean(np.log2(likelihoods)))
    values, counts = np.unique(np.round(x), return_counts=True)
    entropy = float(-(counts / counts.sum() * np.log2(counts / counts.sum())).sum())
    assert entropy - 0.05 < rate < entropy + 0.15


def test_probability_tables_code_latents_with_constriction():
    constriction = pytest.importorskip("constriction")
    layer = dlapps.layers.EntropyBottleneck()
    x = np.round(gaussian_latents(2.0, count=16))
    layer.build(x.shape)
    offsets, pmfs = layer.probability_tables()
    assert len(pmfs) == 2 and all(abs(p.sum() - 1) < 1e-9 for p in pmfs)
    channel = x[..., 0].ravel().astype("int64")
    symbols = np.clip(channel - offsets[0], 0, len(pmfs[0]) - 1).astype("int32")
    model = constriction.stream.model.Categorical(pmfs[0], perfect=False)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(symbols, model)
    decoded = constriction.stream.queue.RangeDecoder(encoder.get_compressed()).decode(
        model, len(symbols)
    )
    np.testing.assert_array_equal(decoded + offsets[0], channel)


def test_config_round_trip_and_bad_arguments():
    layer = dlapps.layers.EntropyBottleneck(filters=(2, 2), init_scale=4.0, seed=3)
    revived = dlapps.layers.EntropyBottleneck.from_config(layer.get_config())
    assert revived.filters == (2, 2) and revived.init_scale == 4.0 and revived.seed == 3
    with pytest.raises(ValueError, match="Received: filters=\\(0,\\)"):
        dlapps.layers.EntropyBottleneck(filters=(0,))
