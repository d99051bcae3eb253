"""GDN and IGDN, the normalization of learned image codecs."""

import keras
import numpy as np
import pytest

import dlapps


def reference(x, beta, gamma, inverse=False):
    norm = np.sqrt(beta + np.square(x) @ gamma)
    return x * norm if inverse else x / norm


@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_divides_each_channel_by_a_norm_of_all_channels(inverse):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5)).astype("float32")
    layer = dlapps.layers.GDN(inverse=inverse)
    layer.build(x.shape)
    beta = rng.uniform(0.5, 2, 5).astype("float32")
    gamma = rng.uniform(0, 0.3, (5, 5)).astype("float32")
    layer.set_weights([np.sqrt(beta), np.sqrt(gamma)])  # the stored square roots
    np.testing.assert_allclose(layer(x), reference(x, beta, gamma, inverse), rtol=1e-4)


def test_gdn_starts_near_the_identity_for_small_inputs_and_keeps_beta_positive():
    x = np.full((1, 2, 2, 3), 1e-3, "float32")
    layer = dlapps.layers.GDN(beta_min=1e-3)
    np.testing.assert_allclose(layer(x), x, rtol=1e-4)
    layer.set_weights([np.full(3, -5.0, "float32"), layer.get_weights()[1]])
    assert float(np.min(layer.beta)) == pytest.approx(1e-3, rel=1e-4)


def test_gdn_learns_in_an_autoencoder_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).uniform(size=(64, 16, 16, 3)).astype("float32")
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = dlapps.layers.GDN()(x)
    x = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same")(x)
    x = dlapps.layers.GDN(inverse=True)(x)
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1)(x))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(images, images, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(images[:2]), model(images[:2]), rtol=1e-5, atol=1e-6)


def test_gdn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Received: beta_min=0"):
        dlapps.layers.GDN(beta_min=0)
    with pytest.raises(ValueError, match="Received: gamma_init=-1"):
        dlapps.layers.GDN(gamma_init=-1)
