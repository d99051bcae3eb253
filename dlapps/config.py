"""Typed, validated hyperparameters.

A recipe's hyperparameters are a dataclass that subclasses `RecipeConfig`.
Overrides arrive either as Python values (`load_recipe(name, epochs=5)`) or as
CLI strings (`--set epochs=5`); both are checked against the field types, and
an unknown key names the valid ones.

This module must not import TensorFlow: `dlapps list` and `dlapps info` read
configs without it.
"""

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from dlapps.errors import ConfigError

OptimizerName = Literal["sgd", "adam", "rmsprop"]
Precision = Literal["float32", "mixed_float16", "mixed_bfloat16"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_NONE = {"none", "null"}


@dataclasses.dataclass
class RecipeConfig:
    """Hyperparameters every recipe inherits.

    Args:
        optimizer: one of `"sgd"`, `"adam"`, `"rmsprop"`.
        learning_rate: step size of the optimizer, > 0.
        l1: L1 weight decay on the recipe's trainable kernels, >= 0.
        l2: L2 weight decay on the recipe's trainable kernels, >= 0.
        dropout: dropout rate in [0, 1) where the recipe's model uses dropout.
        batch_size: examples per step on each replica (device), >= 1;
            with several replicas the global batch is `batch_size x
            replicas` and `learning_rate` is used as is (see
            `dlapps.distribute`).
        epochs: passes over the training data, >= 1.
        gradient_accumulation_steps: average the gradients of this many
            batches before each update, >= 1 (1: update after every batch);
            trains with a larger effective batch on fewer devices.
        seed: seeds Python, NumPy, TensorFlow and the data generators.
        precision: `"float32"`, or a Keras mixed-precision policy:
            `"mixed_float16"` (with dynamic loss scaling) or
            `"mixed_bfloat16"`; recipes keep their outputs and losses in
            float32 either way.
        jit_compile: compile the training step with XLA: `True`, `False`,
            or `"auto"` (Keras' choice: XLA on GPUs when every layer
            supports it). Models with string preprocessing cannot be
            compiled; Keras then warns and runs them without XLA.
        deterministic: keep the input pipeline's element order fixed
            (reproducible runs, slower parallel maps); multi-worker
            training always keeps it, since every worker must read the same
            global batches.
        early_stopping_patience: epochs without `val_loss` improvement
            before training stops; 0 disables early stopping.
        explain_every: every this many epochs, explanations of 4 validation
            inputs go to TensorBoard's images tab; 0 disables them.

    Example:

    ```python
    @dataclasses.dataclass
    class MyConfig(dlapps.RecipeConfig):
        units: int = 64
    ```
    """

    optimizer: OptimizerName = "adam"
    learning_rate: float = 1e-3
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    batch_size: int = 32
    epochs: int = 10
    gradient_accumulation_steps: int = 1
    seed: int = 42
    precision: Precision = "float32"
    jit_compile: bool | Literal["auto"] = "auto"
    deterministic: bool = False
    early_stopping_patience: int = 0
    explain_every: int = 0

    def __post_init__(self):
        for name, kind in self.field_types().items():
            setattr(self, name, _check_value(name, kind, getattr(self, name)))
        self.validate()

    def validate(self):
        """Checks value ranges; subclasses extend it and call `super()`."""
        require(self.learning_rate > 0, "learning_rate", self.learning_rate, "must be > 0")
        require(self.l1 >= 0, "l1", self.l1, "must be >= 0")
        require(self.l2 >= 0, "l2", self.l2, "must be >= 0")
        require(0 <= self.dropout < 1, "dropout", self.dropout, "must be in [0, 1)")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "must be >= 1")
        require(self.epochs >= 1, "epochs", self.epochs, "must be >= 1")
        require(
            self.gradient_accumulation_steps >= 1,
            "gradient_accumulation_steps",
            self.gradient_accumulation_steps,
            "must be >= 1",
        )
        require(
            self.early_stopping_patience >= 0,
            "early_stopping_patience",
            self.early_stopping_patience,
            "must be >= 0",
        )
        require(self.explain_every >= 0, "explain_every", self.explain_every, "must be >= 0")

    @classmethod
    def field_types(cls):
        """Returns `{name: type}` of every hyperparameter."""
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls)}

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]):
        """Builds a config from saved values, ignoring keys of other versions."""
        known = cls.field_types()
        return cls(**{k: v for k, v in values.items() if k in known})

    def replace(self, **overrides):
        """Returns a copy with Python-typed overrides applied and checked."""
        _check_keys(type(self), overrides)
        return dataclasses.replace(self, **overrides)

    def replace_from_strings(self, assignments):
        """Returns a copy with `KEY=VALUE` strings (the CLI's `--set`) applied."""
        kinds = self.field_types()
        overrides = {}
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ConfigError(f"Overrides must look like KEY=VALUE. Received: {assignment!r}")
            _check_keys(type(self), {key: raw})
            overrides[key] = _parse_string(key, kinds[key], raw.strip())
        return dataclasses.replace(self, **overrides)


def require(condition, name, value, rule):
    """Raises `ConfigError("Hyperparameter 'name' RULE. Received: name=value")`
    unless `condition`; for `RecipeConfig.validate` overrides."""
    if not condition:
        raise ConfigError(f"Hyperparameter '{name}' {rule}. Received: {name}={value!r}")


def _check_keys(config_class, overrides):
    valid = config_class.field_types()
    for key, value in overrides.items():
        if key not in valid:
            raise ConfigError(
                f"Unknown hyperparameter '{key}'. Valid keys: {', '.join(sorted(valid))}. "
                f"Received: {key}={value!r}"
            )


def type_name(kind):
    """A readable name of a field type, e.g. `int` or `one of 'sgd', 'adam'`."""
    origin = typing.get_origin(kind)
    if origin is Literal:
        return "one of " + ", ".join(repr(c) for c in typing.get_args(kind))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(kind))
    if kind is type(None):
        return "none"
    return getattr(kind, "__name__", str(kind))


def _wrong(name, kind, value):
    return ConfigError(
        f"Hyperparameter '{name}' expects {type_name(kind)}. Received: {name}={value!r}"
    )


def _check_value(name, kind, value):
    """Checks a Python value against a field type; ints are accepted as floats."""
    origin = typing.get_origin(kind)
    if origin is Literal:
        if value in typing.get_args(kind):
            return value
        raise _wrong(name, kind, value)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(kind):
            try:
                return _check_value(name, option, value)
            except ConfigError:
                continue
        raise _wrong(name, kind, value)
    if kind is type(None):
        if value is None:
            return value
        raise _wrong(name, kind, value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind in (int, float) and isinstance(value, bool):
        raise _wrong(name, kind, value)
    if isinstance(value, kind):
        return value
    raise _wrong(name, kind, value)


def _parse_string(name, kind, raw):
    """Parses a CLI string into a field's type."""
    origin = typing.get_origin(kind)
    if origin is Literal:
        for choice in typing.get_args(kind):
            if str(choice) == raw:
                return choice
        raise _wrong(name, kind, raw)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(kind):
            try:
                return _parse_string(name, option, raw)
            except ConfigError:
                continue
        raise _wrong(name, kind, raw)
    try:
        if kind is type(None) and raw.lower() in _NONE:
            return None
        if kind is bool and raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is str:
            return raw
    except ValueError:
        pass
    raise _wrong(name, kind, raw)
