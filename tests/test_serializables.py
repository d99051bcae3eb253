"""Every Keras object dlapps registers round-trips through its config."""

import json

import keras
import pytest

import dlapps.callbacks  # noqa: F401  (import registers the serializables)
import dlapps.layers  # noqa: F401
import dlapps.losses  # noqa: F401

REGISTERED = sorted(
    name for name in keras.saving.get_custom_objects() if name.startswith("dlapps>")
)


def test_dlapps_registers_its_objects():
    assert "dlapps>PerceptronCriterion" in REGISTERED


@pytest.mark.parametrize("name", REGISTERED)
def test_config_round_trip(name):
    cls = keras.saving.get_registered_object(name)
    original = cls()
    config = original.get_config()
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(original))
    assert type(revived) is cls
    assert json.dumps(revived.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


def test_perceptron_criterion_is_the_perceptron_rule():
    loss = dlapps.losses.PerceptronCriterion()
    # Correct side costs nothing; a mistake costs its distance to the boundary.
    assert float(loss([[1.0], [0.0]], [[2.0], [-1.0]])) == 0.0
    assert float(loss([[1.0], [0.0]], [[-2.0], [-1.0]])) == pytest.approx(1.0)
    hinge = dlapps.losses.PerceptronCriterion(margin=1.0)
    assert float(hinge([[1.0]], [[0.5]])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="Received: margin=-1"):
        dlapps.losses.PerceptronCriterion(margin=-1)
