import json

import numpy as np
import pytest
from toy_recipe import ToyClassifier

from dlapps.finetune import freeze_backbone, transfer_weights


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    recipe = ToyClassifier(num_classes=3)
    train, val = recipe.load_data("synthetic")
    run_dir = tmp_path_factory.mktemp("toy") / "run"
    recipe.fit(train, val, run_dir=run_dir, verbose=0)
    return recipe, run_dir


def weights(model, layer):
    return [w.copy() for w in model.get_layer(layer).get_weights()]


def test_changed_number_of_classes_replaces_only_the_head(earlier_run):
    earlier, _ = earlier_run
    model = ToyClassifier(num_classes=5).build_model()
    assert transfer_weights(model, earlier.model) == ["head"]
    for layer in ("dense", "bn"):
        for got, want in zip(weights(model, layer), weights(earlier.model, layer), strict=True):
            np.testing.assert_array_equal(got, want)
    assert model.get_layer("head").get_weights()[0].shape == (8, 5)


def test_fine_tuning_with_frozen_backbone_trains_only_the_head(earlier_run, tmp_path):
    earlier, earlier_dir = earlier_run
    recipe = ToyClassifier(num_classes=5, init_from=earlier_dir, freeze_backbone=True)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir=tmp_path / "tuned", verbose=0)
    model = recipe.model
    assert {w.path.split("/")[0] for w in model.trainable_weights} == {"head"}
    # The backbone, BatchNormalization statistics included, is unchanged:
    # a frozen BatchNormalization layer runs in inference mode.
    for layer in ("dense", "bn"):
        for got, want in zip(weights(model, layer), weights(earlier.model, layer), strict=True):
            np.testing.assert_array_equal(got, want)
    x = recipe.example_inputs()
    np.testing.assert_allclose(model(x, training=True), model(x, training=False), rtol=1e-5)
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["init_from"] == str(earlier_dir) and config["freeze_backbone"] is True
    assert "Fine-tuned from" in (tmp_path / "tuned" / "model_card.md").read_text()


def test_init_from_another_recipe_is_refused(earlier_run, tmp_path):
    _, earlier_dir = earlier_run
    import dlapps

    recipe = dlapps.load_recipe("perceptron", init_from=earlier_dir)
    train, val = recipe.load_data("synthetic")
    with pytest.raises(dlapps.errors.RunFolderError, match="run of recipe 'toy_classifier'"):
        recipe.fit(train, val, run_dir=tmp_path / "p", verbose=0)


def test_freeze_backbone_needs_init_from_and_a_real_head():
    with pytest.raises(ValueError, match="freeze_backbone=True needs init_from"):
        ToyClassifier(freeze_backbone=True)
    model = ToyClassifier().build_model()
    with pytest.raises(ValueError, match="Received: head_layers=\\['nope'\\]"):
        freeze_backbone(model, ["nope"])
    assert freeze_backbone(model) == ["head"]
