"""Explanations: why a model decides what it decides."""

from dlapps.errors import ConfigError
from dlapps.explainers.decision_boundary import decision_boundary
from dlapps.explainers.explanation import Explanation, register_renderer

EXPLAINERS = {"decision_boundary": decision_boundary}


def explain(model_or_recipe, inputs, method=None, target=None, **options):
    """Explains a model's outputs on `inputs`.

    Args:
        model_or_recipe: a Keras model, or a recipe (whose default method,
            target and options are used).
        inputs: a batch of raw inputs.
        method: an explanation method; the recipe's default when `None`.
        target: what to explain (an output index); method default when `None`.
        **options: method-specific options, over the recipe's own.

    Returns:
        An `Explanation`.

    Example:

    >>> explanation = dlapps.explain(recipe, [[0.5, 1.0]])
    >>> explanation.save("why.png")
    """
    model = getattr(model_or_recipe, "model", model_or_recipe)
    methods = getattr(model_or_recipe, "explain_methods", ()) or tuple(EXPLAINERS)
    method = method or methods[0]
    if method not in EXPLAINERS or method not in methods:
        raise ConfigError(
            f"Unknown explanation method. Expected one of {', '.join(methods)}. "
            f"Received: method={method!r}"
        )
    if hasattr(model_or_recipe, "explain_options"):
        options = {**model_or_recipe.explain_options(method), **options}
    return EXPLAINERS[method](model, inputs, target=target, **options)


__all__ = ["Explanation", "explain", "register_renderer", "EXPLAINERS"]
