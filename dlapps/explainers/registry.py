"""The explanation methods, by name."""

import dataclasses

from dlapps.errors import ConfigError

LAYOUTS = ("image", "image_pair", "spectrogram", "tokens", "series", "tabular")
CONV_LAYOUTS = ("image", "image_pair", "spectrogram", "series")
IMAGE_LAYOUTS = ("image", "image_pair", "spectrogram")

EXPLAINERS = {}


@dataclasses.dataclass(frozen=True)
class ExplainerSpec:
    """An explanation method.

    Args:
        name: the method's name, e.g. `"gradcam"`.
        function: `function(model, features, target, **options)` returning
            `(attributions, extras)`; `model` has the single output that
            `target.score` reads.
        layouts: the input layouts it applies to.
    """

    name: str
    function: object
    layouts: tuple

    def check_layout(self, layout):
        if layout not in self.layouts:
            raise ConfigError(
                f"Method '{self.name}' does not apply to {layout} inputs; it takes "
                f"{', '.join(self.layouts)}. Received: layout={layout!r}"
            )


def register_explainer(name, layouts=LAYOUTS):
    """Registers an explanation method (a decorator); duplicate names raise.

    Example:

    ```python
    @register_explainer("input_times_gradient", layouts=("tabular",))
    def input_times_gradient(model, features, target):
        ...
        return attributions, {}
    ```
    """

    def decorator(function):
        if name in EXPLAINERS:
            raise ValueError(f"An explanation method of this name exists. Received: name={name!r}")
        EXPLAINERS[name] = ExplainerSpec(name, function, tuple(layouts))
        return function

    return decorator


def unregister_explainer(name):
    """Removes a method registered with `register_explainer`."""
    EXPLAINERS.pop(name, None)


def get_explainer(name, allowed):
    """The spec of method `name`, checked against the recipe's `allowed` methods."""
    if name not in EXPLAINERS or name not in allowed:
        raise ConfigError(
            f"Unknown explanation method. Expected one of {', '.join(allowed)}. "
            f"Received: method={name!r}"
        )
    return EXPLAINERS[name]
