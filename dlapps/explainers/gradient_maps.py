"""Saliency, SmoothGrad and class activation maps, from tf-keras-vis.

The wrappers hide tf-keras-vis: they take the score model and target of
`dlapps.explain` and return plain arrays. Class activation maps need a
convolution in the model; `penultimate_layer` names it, the last one by default.
"""

import contextlib
import warnings

import keras
import numpy as np
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.layercam import Layercam
from tf_keras_vis.saliency import Saliency
from tf_keras_vis.scorecam import Scorecam

from dlapps.errors import ConfigError
from dlapps.explainers.registry import CONV_LAYOUTS, LAYOUTS, register_explainer
from dlapps.explainers.targets import ClassScore


@register_explainer("saliency", LAYOUTS)
def saliency(model, features, target):
    """Absolute input gradient of the target."""
    return _visualize(Saliency, model, features, target, keepdims=True, normalize_map=False)


@register_explainer("smoothgrad", LAYOUTS)
def smoothgrad(model, features, target, samples=20, noise=0.2, seed=0):
    """Saliency averaged over `samples` noisy copies of the input (noise: a share of its range)."""
    with seeded_numpy(seed):
        return _visualize(
            Saliency,
            model,
            features,
            target,
            keepdims=True,
            normalize_map=False,
            smooth_samples=samples,
            smooth_noise=noise,
        )


@register_explainer("gradcam", CONV_LAYOUTS)
def gradcam(model, features, target, penultimate_layer=None):
    """Grad-CAM: the last convolution's maps weighted by the target's mean gradient."""
    return _visualize(Gradcam, model, features, target, penultimate_layer=penultimate_layer)


@register_explainer("gradcam++", CONV_LAYOUTS)
def gradcam_plus_plus(model, features, target, penultimate_layer=None):
    """Grad-CAM++: higher-order gradient weights."""
    return _visualize(GradcamPlusPlus, model, features, target, penultimate_layer=penultimate_layer)


@register_explainer("layercam", CONV_LAYOUTS)
def layercam(model, features, target, penultimate_layer=None):
    """Layer-CAM: positive gradients per location."""
    return _visualize(Layercam, model, features, target, penultimate_layer=penultimate_layer)


@register_explainer("scorecam", CONV_LAYOUTS)
def scorecam(model, features, target, penultimate_layer=None, max_maps=None):
    """Score-CAM: activation maps weighted by the class score of the input they mask."""
    if not isinstance(target, ClassScore):
        raise ConfigError(
            "Score-CAM weighs maps by class probability and explains class targets only; "
            f"use gradcam or integrated_gradients. Received: target={target!r}"
        )
    return _visualize(
        Scorecam, model, features, target, penultimate_layer=penultimate_layer, max_N=max_maps
    )


@register_explainer("faster_scorecam", CONV_LAYOUTS)
def faster_scorecam(model, features, target, penultimate_layer=None, max_maps=10):
    """Score-CAM on the `max_maps` strongest maps."""
    return scorecam(model, features, target, penultimate_layer, max_maps)


CAM_LAYER = "dlapps_cam_features"


def _visualize(visualization, model, features, target, **options):
    if "penultimate_layer" in options:
        model = _split_at(model, options["penultimate_layer"])
        options["penultimate_layer"] = CAM_LAYER
        options["seek_penultimate_conv_layer"] = False  # it would look past CAM_LAYER
    with quiet_keras():
        maps = visualization(model, clone=False)(target.score, features, **options)
    return np.asarray(maps, "float32"), {}


def _split_at(model, layer_name=None):
    """`model` rebuilt as lower part -> an identity layer `CAM_LAYER` -> upper
    part, split after `layer_name` (the last convolution by default).

    tf-keras-vis reads a layer's `.output`, which is the tensor of the layer's
    first graph; a score model cut out of a larger model (from a spectrogram
    or embedding layer on) runs a copy of that graph. The identity layer has
    one graph only: this model's. The parts share the model's layers, so
    randomizing their weights (the sanity check) still reaches the map.
    """
    if layer_name is None:
        convolutions = [layer for layer in model.layers if "Conv" in type(layer).__name__]
        if not convolutions:
            raise ConfigError(
                "Class activation maps need a convolution in the explained part of the "
                f"model; use saliency or integrated_gradients. Received: model={model.name!r}"
            )
        layer_name = convolutions[-1].name
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        raise ConfigError(
            f"No layer named {layer_name!r} in the explained model. "
            f"Received: penultimate_layer={layer_name!r}"
        ) from None
    # The layer's node in this model's graph (private Keras attribute: the
    # public `layer.output` names the first graph's node only).
    nodes = [node for depth in model._nodes_by_depth.values() for node in depth]
    tensor = next(node.output_tensors[0] for node in nodes if node.operation is layer)
    lower = keras.Model(model.inputs, tensor)
    try:
        upper = keras.Model(tensor, model.outputs)
    except ValueError:
        raise ConfigError(
            "A class activation map's layer must cut the model: every path to the output "
            "passes through it (not a convolution inside a residual block). "
            f"Received: penultimate_layer={layer_name!r}"
        ) from None
    start = keras.Input(model.inputs[0].shape[1:], dtype=model.inputs[0].dtype)
    split = keras.layers.Identity(name=CAM_LAYER)(lower(start))
    return keras.Model(start, upper(split))


@contextlib.contextmanager
def seeded_numpy(seed):
    """Seeds NumPy's global generator, which tf-keras-vis draws its noise
    from, for repeatable results; the caller's state comes back after."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def quiet_keras():
    """Silences progress bars, and Keras' note that tf-keras-vis feeds a
    single-input model a list."""
    interactive = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The structure of `inputs`")
            yield
    finally:
        if interactive:
            keras.config.enable_interactive_logging()
