import dataclasses
from typing import Literal

import pytest

from dlapps.config import RecipeConfig
from dlapps.errors import ConfigError


@dataclasses.dataclass
class MyConfig(RecipeConfig):
    units: int = 8
    activation: Literal["relu", "gelu"] = "relu"
    temperature: float | None = None


def test_defaults_include_common_hyperparameters():
    config = MyConfig()
    for key in (
        "optimizer",
        "learning_rate",
        "l1",
        "l2",
        "dropout",
        "batch_size",
        "epochs",
        "seed",
    ):
        assert key in config.to_dict()
    assert config.units == 8


def test_python_overrides_are_type_checked():
    config = MyConfig().replace(units=16, learning_rate=1, temperature=0.5)
    assert config.units == 16
    assert config.learning_rate == 1.0 and isinstance(config.learning_rate, float)
    with pytest.raises(ConfigError, match=r"'units' expects int. Received: units='16'"):
        MyConfig().replace(units="16")
    with pytest.raises(ConfigError, match="'deterministic' expects bool"):
        MyConfig().replace(deterministic=1)
    with pytest.raises(ConfigError, match="'jit_compile' expects bool or one of 'auto'"):
        MyConfig().replace(jit_compile="yes")
    assert MyConfig().replace(jit_compile=True).jit_compile is True
    with pytest.raises(ConfigError, match="'epochs' expects int"):
        MyConfig().replace(epochs=True)


def test_unknown_key_names_the_valid_keys():
    with pytest.raises(ConfigError) as raised:
        MyConfig().replace(nonexistent=1)
    message = str(raised.value)
    assert "Unknown hyperparameter 'nonexistent'" in message
    assert "units" in message and "learning_rate" in message
    assert message.endswith("Received: nonexistent=1")


def test_cli_strings_are_parsed_into_field_types():
    config = MyConfig().replace_from_strings(
        [
            "units=32",
            "learning_rate=3e-4",
            "precision=mixed_bfloat16",
            "jit_compile=true",
            "activation=gelu",
            "temperature=none",
            "optimizer=rmsprop",
        ]
    )
    assert config.units == 32
    assert config.learning_rate == pytest.approx(3e-4)
    assert config.precision == "mixed_bfloat16"
    assert config.jit_compile is True
    assert MyConfig().replace_from_strings(["jit_compile=auto"]).jit_compile == "auto"
    assert config.activation == "gelu"
    assert config.temperature is None
    assert config.optimizer == "rmsprop"
    assert MyConfig().replace_from_strings(["temperature=2"]).temperature == 2.0


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("epochs=abc", "'epochs' expects int. Received: epochs='abc'"),
        ("deterministic=maybe", "'deterministic' expects bool"),
        ("precision=float16", "'precision' expects one of 'float32', 'mixed_float16'"),
        ("gradient_accumulation_steps=0", "'gradient_accumulation_steps' must be >= 1"),
        ("activation=tanh", "'activation' expects one of 'relu', 'gelu'"),
        ("optimizer=adagrad", "'optimizer' expects one of 'sgd', 'adam', 'rmsprop'"),
        ("nonexistent=1", "Unknown hyperparameter 'nonexistent'. Valid keys: "),
        ("epochs", "Overrides must look like KEY=VALUE. Received: 'epochs'"),
        ("dropout=1.5", "'dropout' must be in \\[0, 1\\). Received: dropout=1.5"),
        ("learning_rate=0", "'learning_rate' must be > 0"),
        ("batch_size=0", "'batch_size' must be >= 1"),
    ],
)
def test_bad_cli_overrides_say_what_was_expected(assignment, message):
    with pytest.raises(ConfigError, match=message):
        MyConfig().replace_from_strings([assignment])


def test_from_dict_ignores_keys_of_other_versions():
    saved = {**MyConfig(units=4).to_dict(), "removed_option": 1}
    assert MyConfig.from_dict(saved) == MyConfig(units=4)
