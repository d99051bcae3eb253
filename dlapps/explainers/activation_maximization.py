"""Activation maximization from tf-keras-vis: what a class looks like to the model."""

import keras
import numpy as np
from tf_keras_vis.activation_maximization import ActivationMaximization
from tf_keras_vis.activation_maximization.input_modifiers import Jitter
from tf_keras_vis.activation_maximization.regularizers import Norm, TotalVariation2D

from dlapps.explainers.gradient_maps import quiet_keras, seeded_numpy
from dlapps.explainers.registry import IMAGE_LAYOUTS, register_explainer


@register_explainer("activation_maximization", IMAGE_LAYOUTS)
def activation_maximization(
    model, features, target, steps=100, input_range=None, learning_rate=0.02, seed=0
):
    """Synthesizes, for each input, an input that maximizes its target
    (e.g. its predicted class), starting from noise.

    Args:
        model: a Keras model with the single output `target.score` reads.
        features: `(batch, height, width, channels)` inputs; they set the
            target and the value range.
        target: a prepared `Target`.
        steps: gradient-ascent steps.
        input_range: `(low, high)` of valid inputs; the inputs' own range when `None`.
        learning_rate: the ascent step, as a fraction of the input range.
        seed: the seed of the starting noise and of the jitter.

    Returns:
        `(synthesized, extras)`: the synthesized inputs, one per input.
    """
    features = np.asarray(features, "float32")
    low, high = input_range or (float(features.min()), float(features.max()))
    rng = np.random.default_rng(seed)
    start = rng.uniform(low, high, features.shape).astype("float32")
    start = (start + features.mean()) / 2
    with quiet_keras(), seeded_numpy(seed):
        synthesized = ActivationMaximization(model, clone=False)(
            target.score,
            seed_input=start,
            input_range=(low, high),
            input_modifiers=[Jitter(jitter=max(1, features.shape[1] // 16))],
            regularizers=[TotalVariation2D(weight=1.0), Norm(weight=0.3, p=1)],
            steps=steps,
            # tf-keras-vis' default step (1.0) suits pixels in 0..255; scale it.
            optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate * (high - low)),
        )
    return np.asarray(synthesized, "float32"), {"synthesized": True}
