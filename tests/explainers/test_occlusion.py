"""Occlusion sensitivity."""

import keras
import numpy as np

import dlapps


class _CornerSum(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.sum(inputs[:, :4, :4, :], axis=(1, 2, 3))[:, None]


def test_only_patches_the_model_reads_matter():
    inputs = keras.Input((12, 12, 1))
    model = keras.Model(inputs, _CornerSum()(inputs))
    images = np.ones((2, 12, 12, 1), "float32")
    explanation = dlapps.explain(model, images, method="occlusion", window=(2, 2, 1))
    attributions = explanation.attributions[..., 0]
    assert (attributions[:, :4, :4] > 0).all()
    # Patches reach one pixel past the corner; nothing beyond it matters.
    assert (attributions[:, 5:, :] == 0).all() and (attributions[:, :, 5:] == 0).all()
    # Hiding a 2x2 patch of ones removes 4 from the sum, covered by 4 patches on average.
    assert attributions[:, :4, :4].mean() > 0.5
    assert explanation.extras["window"] == [2, 2, 1]
    assert explanation.extras["stride"] == [1, 1, 1]


def test_default_windows_follow_the_layout():
    inputs = keras.Input((20, 3))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
    explanation = dlapps.explain(model, np.ones((1, 20, 3), "float32"), method="occlusion")
    assert explanation.kind == "series"
    assert explanation.extras["window"] == [2, 1]  # a tenth of the time axis, one sensor
