"""Explanations: why a model decides what it decides.

`explain` attributes one number per input (a class score, a regression
output, a pair's similarity, a reconstruction error, a next word's
probability) to the elements of a representation a person can read (image
pixels, spectrogram cells, tokens, sensor readings), with the methods of
tf-keras-vis and a few of dlapps' own, and can check the result against a
randomized model.
"""

import inspect

import numpy as np

from dlapps.errors import ConfigError
from dlapps.explainers import (  # noqa: F401  (register methods and figures)
    activation_maximization,
    decision_boundary,
    gradient_maps,
    integrated_gradients,
    occlusion,
    renderers,
)
from dlapps.explainers.explanation import Explanation, register_renderer
from dlapps.explainers.model_view import view_model
from dlapps.explainers.registry import (
    EXPLAINERS,
    LAYOUTS,
    get_explainer,
    register_explainer,
    unregister_explainer,
)
from dlapps.explainers.sanity import (
    DEFAULT_THRESHOLD,
    SanityCheck,
    compare_maps,
    randomized_weights,
)
from dlapps.explainers.targets import (
    ClassScore,
    NextWordProbability,
    OutputValue,
    PairSimilarity,
    ReconstructionError,
    SimilarityTo,
    Target,
    resolve_target,
)

VIEW_OPTIONS = ("features", "layout", "class_names", "target")
# Options that only label the figure's axes; they travel in `extras`.
AXIS_OPTIONS = ("feature_names", "time_step", "frequencies")


def explain(
    model_or_recipe,
    inputs,
    method=None,
    target=None,
    sanity_check=False,
    sanity_threshold=DEFAULT_THRESHOLD,
    **options,
):
    """Explains a model's outputs on `inputs`.

    Args:
        model_or_recipe: a Keras model, or a recipe, whose default method,
            target, layer and options are used.
        inputs: a batch of raw inputs; for a `PairSimilarity` target, a pair
            `(first, second)` of batches.
        method: a registered method (`EXPLAINERS`); the recipe's default, or
            `integrated_gradients` for a bare model, when `None`.
        target: what to explain: a class index, a `Target`
            (`OutputValue`, `PairSimilarity`, `ReconstructionError`,
            `NextWordProbability`, ...), or `None` for the recipe's default or
            the predicted class.
        sanity_check: explain again with the model's learned weights
            randomized, and flag the explanation if the two maps agree.
        sanity_threshold: the rank correlation at which the check fails.
        **options: over the recipe's: `features` (the layer whose output is
            explained), `layout` (one of `LAYOUTS`), `class_names`,
            `feature_names` (tabular features or sensors), `time_step`
            (seconds per time step of a spectrogram), `frequencies` (Hz of
            each spectrogram band), and the method's own options.

    Returns:
        An `Explanation`.

    Example:

    >>> explanation = dlapps.explain(recipe, images, method="gradcam", sanity_check=True)
    >>> explanation.save("why.png")
    """
    recipe = model_or_recipe if hasattr(model_or_recipe, "explain_options") else None
    model = recipe.model if recipe is not None else model_or_recipe
    allowed = tuple(getattr(recipe, "explain_methods", ())) or tuple(EXPLAINERS)
    method = method or (allowed[0] if recipe is not None else "integrated_gradients")
    spec = get_explainer(method, allowed)
    if recipe is not None:
        options = {**recipe.explain_options(method), **options}
    view_options = {key: options.pop(key, None) for key in VIEW_OPTIONS}
    axes = {key: options.pop(key, None) for key in AXIS_OPTIONS}
    axes = {key: value for key, value in axes.items() if value is not None}
    if "feature_names" in axes:
        axes["feature_names"] = list(axes["feature_names"])
    target = view_options.pop("target") if target is None else target
    if isinstance(target, PairSimilarity):
        return _explain_pair(
            spec, model, inputs, target, sanity_check, sanity_threshold, view_options, options
        )
    view = view_model(model, inputs, view_options["features"], view_options["layout"])
    spec.check_layout(view.layout)
    target = resolve_target(target, view, view_options["class_names"])
    attributions, extras = _attribute(spec, view, target, options)
    extras = {**extras, **axes}
    predictions = _values(view, target)
    sanity = None
    if sanity_check:
        with randomized_weights(view.head):
            random_attributions, _ = _attribute(spec, view, target, options)
        sanity = compare_maps(attributions, random_attributions, sanity_threshold, view.valid)
    return Explanation(
        method=method,
        kind=view.layout,
        inputs=view.shown,
        attributions=attributions,
        predictions=predictions,
        target=repr(target),
        labels=target.describe(predictions),
        extras=extras,
        sanity=sanity,
    )


def _explain_pair(spec, model, inputs, target, sanity_check, threshold, view_options, options):
    """Explains each side of each pair against the other side's embedding."""
    spec.check_layout("image_pair")
    if len(inputs) != 2:
        raise ConfigError(
            "A PairSimilarity target explains pairs: pass inputs=(first, second). "
            f"Received: {len(inputs)} batches"
        )
    views = [view_model(model, side, view_options["features"], "image") for side in inputs]
    embeddings = [view.outputs_of(view.head) for view in views]
    embeddings = [e.reshape(len(e), -1) for e in embeddings]
    # Each side is explained against the other side's (fixed) embedding.
    sides = [(views[0], SimilarityTo(embeddings[1])), (views[1], SimilarityTo(embeddings[0]))]

    def attribute_both_sides():
        maps = [_attribute(spec, view, side, options)[0] for view, side in sides]
        return np.stack(maps, axis=1)

    attributions = attribute_both_sides()
    predictions = np.sum(embeddings[0] * embeddings[1], axis=1)
    sanity = None
    if sanity_check:
        with randomized_weights(views[0].head):
            random_attributions = attribute_both_sides()
        sanity = compare_maps(attributions, random_attributions, threshold)
    return Explanation(
        method=spec.name,
        kind="image_pair",
        inputs=np.stack([view.shown for view in views], axis=1),
        attributions=attributions,
        predictions=predictions,
        target=repr(target),
        labels=target.describe(predictions),
        sanity=sanity,
    )


def _attribute(spec, view, target, options):
    """Runs method `spec` on `view`; returns attributions shaped like `view.shown`."""
    parameters = inspect.signature(spec.function).parameters
    if "layout" in parameters:
        options = {**options, "layout": view.layout}
    unknown = sorted(set(options) - set(parameters))
    if unknown:
        raise ConfigError(
            f"Method '{spec.name}' has no option {', '.join(unknown)}. Received: "
            f"{', '.join(f'{key}={options[key]!r}' for key in unknown)}"
        )
    attributions, extras = spec.function(target.score_model(view), view.features, target, **options)
    return view.to_shown(attributions), extras


def _values(view, target):
    return np.asarray(target.value(view.outputs_of(target.value_model(view))), "float32")


__all__ = [
    "ClassScore",
    "EXPLAINERS",
    "Explanation",
    "LAYOUTS",
    "NextWordProbability",
    "OutputValue",
    "PairSimilarity",
    "ReconstructionError",
    "SanityCheck",
    "Target",
    "compare_maps",
    "explain",
    "randomized_weights",
    "register_explainer",
    "register_renderer",
    "unregister_explainer",
]
