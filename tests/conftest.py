import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
from toy_recipe import ToyClassifier  # noqa: E402

import dlapps  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def toy_recipe_registered():
    """The toy recipe is registered in-process, so its runs can be reloaded."""
    dlapps.register_recipe(ToyClassifier)
    yield
    dlapps.unregister_recipe(ToyClassifier.name)
