"""The recipe registry.

Recipes are found through the `dlapps.recipes` entry-point group (built-in
recipes register exactly like third-party plugins) and through
`register_recipe` for in-process use (notebooks, tests). Listing reads only
entry-point metadata; a recipe's module is imported when it is asked for, and
recipe modules must not import TensorFlow at import time.
"""

import difflib
import fnmatch
import importlib.metadata
import warnings

from dlapps.errors import DuplicateRecipeError, RecipeImportError, UnknownRecipeError

ENTRY_POINT_GROUP = "dlapps.recipes"


class RecipePluginWarning(UserWarning):
    """A recipe plugin could not be imported and was skipped."""


class RecipeRegistry:
    """Names to recipe classes, from entry points and in-process registrations."""

    def __init__(self, group=ENTRY_POINT_GROUP):
        self.group = group
        self._local = {}
        self._reported = set()

    def _entry_points(self):
        found = {}
        for ep in importlib.metadata.entry_points(group=self.group):
            # The same distribution can be visible twice on sys.path (an editable
            # install and a build folder, say); only differing targets clash.
            if ep.name in found and found[ep.name].value != ep.value:
                raise DuplicateRecipeError(
                    f"Two plugins register the recipe name '{ep.name}': "
                    f"{found[ep.name].value} and {ep.value}."
                )
            found[ep.name] = ep
        return found

    def names(self, pattern=None, exclude=None):
        """Sorted recipe names, optionally filtered by fnmatch patterns."""
        names = set(self._entry_points()) | set(self._local)
        return _filter(sorted(names), pattern, exclude)

    def register(self, recipe_class, name=None):
        from dlapps.recipe import Recipe

        if not (isinstance(recipe_class, type) and issubclass(recipe_class, Recipe)):
            raise TypeError(
                f"register_recipe expects a subclass of dlapps.Recipe. Received: {recipe_class!r}"
            )
        name = name or recipe_class.name
        if name in self._local or name in self._entry_points():
            raise DuplicateRecipeError(f"A recipe named '{name}' is already registered.")
        self._local[name] = recipe_class
        return recipe_class

    def unregister(self, name):
        """Removes an in-process registration (entry points stay)."""
        self._local.pop(name, None)

    def get(self, name):
        """Imports and returns the recipe class registered under `name`."""
        if name in self._local:
            return self._local[name]
        entry_points = self._entry_points()
        if name not in entry_points:
            raise UnknownRecipeError(_unknown_message(name, self.names()))
        entry_point = entry_points[name]
        try:
            return entry_point.load()
        except Exception as error:
            raise RecipeImportError(
                f"Recipe plugin '{name}' ({entry_point.value}) failed to import: "
                f"{type(error).__name__}: {error}"
            ) from error

    def classes(self, pattern=None, exclude=None):
        """Yields `(name, class)` for every importable recipe; a plugin that
        fails to import is reported once, by name, and skipped."""
        for name in self.names(pattern, exclude):
            try:
                yield name, self.get(name)
            except RecipeImportError as error:
                if name not in self._reported:
                    self._reported.add(name)
                    warnings.warn(str(error), RecipePluginWarning, stacklevel=2)


def _filter(names, pattern, exclude):
    patterns = [pattern] if isinstance(pattern, str) else list(pattern or [])
    excludes = [exclude] if isinstance(exclude, str) else list(exclude or [])
    if patterns:
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    return [n for n in names if not any(fnmatch.fnmatch(n, e) for e in excludes)]


def _unknown_message(name, known):
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return (
        f"Unknown recipe '{name}'.{hint} Available: {', '.join(known) or 'none'}. "
        f"Received: name={name!r}"
    )


_REGISTRY = RecipeRegistry()


def list_recipes(pattern=None, exclude=None):
    """Returns the sorted names of registered recipes.

    Args:
        pattern: an fnmatch pattern (or a list of them) names must match.
        exclude: an fnmatch pattern (or a list of them) names must not match.

    Example:

    >>> dlapps.list_recipes("percep*")
    ['perceptron']
    """
    return _REGISTRY.names(pattern, exclude)


def get_recipe_class(name):
    """Returns the recipe class registered under `name` (no TensorFlow import)."""
    return _REGISTRY.get(name)


def iter_recipe_classes(pattern=None, exclude=None):
    """Yields `(name, class)` pairs, skipping (and reporting once) broken plugins."""
    return _REGISTRY.classes(pattern, exclude)


def register_recipe(recipe_class=None, *, name=None):
    """Registers a recipe class in this process; usable as a decorator.

    Raises `DuplicateRecipeError` when the name is taken.
    """
    if recipe_class is None:
        return lambda cls: _REGISTRY.register(cls, name)
    return _REGISTRY.register(recipe_class, name)


def unregister_recipe(name):
    """Removes a recipe registered with `register_recipe`."""
    _REGISTRY.unregister(name)


def load_recipe(name, *, init_from=None, freeze_backbone=False, **overrides):
    """Creates a recipe by name with validated hyperparameter overrides.

    Args:
        name: a registered recipe name (see `list_recipes`).
        init_from: a run folder whose weights initialise the model
            (fine-tuning); layers whose shapes changed, such as a head with
            another number of classes, start fresh.
        freeze_backbone: with `init_from`, train only the recipe's head.
        **overrides: hyperparameters, checked against the recipe's config.

    Example:

    >>> recipe = dlapps.load_recipe("perceptron", epochs=5)
    """
    recipe_class = get_recipe_class(name)
    return recipe_class(init_from=init_from, freeze_backbone=freeze_backbone, **overrides)
