import importlib
import subprocess
import sys
import textwrap
import warnings

import pytest
from toy_recipe import ToyClassifier

import dlapps
from dlapps.errors import DuplicateRecipeError, RecipeImportError, UnknownRecipeError
from dlapps.registry import RecipePluginWarning, RecipeRegistry


def make_plugin(root, distribution, entries, modules):
    """Writes an installed-looking distribution with entry points under `root`."""
    info = root / f"{distribution}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 0.1\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entries.items())
    (info / "entry_points.txt").write_text(f"[dlapps.recipes]\n{lines}\n")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))


GOOD_PLUGIN = """
    import dlapps

    class Weather(dlapps.Recipe):
        name = "weather_forecast"
        task = "regression"
        summary = "Third-party test plugin"
"""


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    importlib.invalidate_caches()


def test_built_in_recipes_are_listed_and_filtered():
    assert "perceptron" in dlapps.list_recipes()
    assert dlapps.list_recipes("percep*") == ["perceptron"]
    assert dlapps.list_recipes("*", exclude="perc*") == [
        n for n in dlapps.list_recipes() if not n.startswith("perc")
    ]
    assert dlapps.list_recipes("nothing-like-this*") == []


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownRecipeError, match="Did you mean: perceptron") as raised:
        dlapps.load_recipe("perceptorn")
    assert "Received: name='perceptorn'" in str(raised.value)


def test_load_recipe_applies_overrides():
    recipe = dlapps.load_recipe("perceptron", epochs=3, learning_rate=0.5)
    assert (recipe.config.epochs, recipe.config.learning_rate) == (3, 0.5)
    with pytest.raises(dlapps.errors.ConfigError, match="Valid keys"):
        dlapps.load_recipe("perceptron", nonexistent=1)


def test_register_recipe_in_process_and_duplicates_raise():
    registry = RecipeRegistry()
    registry.register(ToyClassifier)
    assert "toy_classifier" in registry.names()
    assert registry.get("toy_classifier") is ToyClassifier
    with pytest.raises(DuplicateRecipeError, match="'toy_classifier' is already registered"):
        registry.register(ToyClassifier)
    with pytest.raises(DuplicateRecipeError, match="'perceptron' is already registered"):
        registry.register(ToyClassifier, name="perceptron")
    with pytest.raises(TypeError, match="subclass of dlapps.Recipe"):
        registry.register(object)


def test_public_register_recipe_is_usable_as_decorator():
    try:
        dlapps.register_recipe(name="toy_alias")(ToyClassifier)
        recipe = dlapps.load_recipe("toy_alias", num_classes=4)
        assert recipe.config.num_classes == 4
    finally:
        dlapps.unregister_recipe("toy_alias")
    assert "toy_alias" not in dlapps.list_recipes()


def test_third_party_entry_point_plugin_is_discovered(plugin_path):
    make_plugin(
        plugin_path,
        "weather_plugin",
        {"weather_forecast": "weather_mod:Weather"},
        {"weather_mod": GOOD_PLUGIN},
    )
    assert "weather_forecast" in dlapps.list_recipes()
    assert dlapps.get_recipe_class("weather_forecast").summary == "Third-party test plugin"


def test_broken_plugin_is_reported_once_and_others_still_load(plugin_path):
    make_plugin(
        plugin_path,
        "broken_plugin",
        {"broken": "broken_mod:Broken"},
        {"broken_mod": "raise RuntimeError('missing native library')"},
    )
    registry = RecipeRegistry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = [name for name, _ in registry.classes()]
        names_again = [name for name, _ in registry.classes()]
    assert "perceptron" in names and "broken" not in names
    assert names == names_again
    reports = [w for w in caught if issubclass(w.category, RecipePluginWarning)]
    assert len(reports) == 1
    assert "'broken'" in str(reports[0].message)
    assert "missing native library" in str(reports[0].message)
    with pytest.raises(RecipeImportError, match="failed to import"):
        registry.get("broken")


def test_conflicting_entry_points_raise(plugin_path):
    make_plugin(
        plugin_path, "impostor", {"perceptron": "weather_mod:Weather"}, {"weather_mod": GOOD_PLUGIN}
    )
    with pytest.raises(DuplicateRecipeError, match="Two plugins register the recipe name"):
        dlapps.list_recipes()


def test_plugin_shows_up_in_dlapps_list(tmp_path):
    make_plugin(
        tmp_path,
        "weather_plugin",
        {"weather_forecast": "weather_mod:Weather"},
        {"weather_mod": GOOD_PLUGIN},
    )
    make_plugin(
        tmp_path,
        "broken_plugin",
        {"broken": "broken_mod:Broken"},
        {"broken_mod": "raise RuntimeError('missing native library')"},
    )
    code = "import sys; from dlapps.cli import main; sys.exit(main(['list']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "weather_forecast" in result.stdout and "Third-party test plugin" in result.stdout
    assert "perceptron" in result.stdout
    assert result.stderr.count("Recipe plugin 'broken'") == 1
    assert "missing native library" in result.stderr


def test_listing_does_not_import_tensorflow():
    code = textwrap.dedent(
        """
        import sys
        from dlapps.cli import main
        main(["list"])
        main(["info", "perceptron"])
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "perceptron" in result.stdout


def test_lazy_public_names_stay_functions_after_their_modules_load():
    import dlapps.explainers  # noqa: F401

    assert callable(dlapps.explain) and dlapps.explain.__name__ == "explain"
    assert dlapps.Explanation.__name__ == "Explanation"
