"""dlapps: ready-to-train deep-learning applications on TensorFlow and Keras.

`import dlapps` and listing recipes do not import TensorFlow; the names below
that need it (`explain`, `explainers`, `resolve_strategy`, `layers`, ...) are loaded on
first use.
"""

import importlib

from dlapps import config, data, errors
from dlapps.atomic import atomic_path, atomic_write_text
from dlapps.config import RecipeConfig
from dlapps.recipe import Recipe
from dlapps.registry import (
    get_recipe_class,
    iter_recipe_classes,
    list_recipes,
    load_recipe,
    register_recipe,
    unregister_recipe,
)
from dlapps.version import __version__

_LAZY = {
    "explain": ("dlapps.explainers", "explain"),
    "Explanation": ("dlapps.explainers", "Explanation"),
    "explainers": ("dlapps.explainers", None),
    "resolve_strategy": ("dlapps.distribute", "resolve_strategy"),
    "collect_predictions": ("dlapps.evaluation", "collect_predictions"),
    "load_run": ("dlapps.run_folder", "load_run"),
    "callbacks": ("dlapps.callbacks", None),
    "layers": ("dlapps.layers", None),
    "losses": ("dlapps.losses", None),
    "testing": ("dlapps.testing", None),
}

__all__ = [
    "Explanation",
    "Recipe",
    "RecipeConfig",
    "__version__",
    "atomic_path",
    "atomic_write_text",
    "callbacks",
    "collect_predictions",
    "config",
    "data",
    "errors",
    "explain",
    "explainers",
    "get_recipe_class",
    "iter_recipe_classes",
    "layers",
    "list_recipes",
    "load_recipe",
    "load_run",
    "losses",
    "register_recipe",
    "resolve_strategy",
    "testing",
    "unregister_recipe",
]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'dlapps' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
