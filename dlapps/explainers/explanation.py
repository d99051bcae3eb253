"""The result of an explanation: attributions aligned with the inputs."""

import dataclasses
from pathlib import Path

import numpy as np

from dlapps.atomic import atomic_path

_RENDERERS = {}


def register_renderer(kind):
    """Registers `function(explanation, figure)` that draws one kind of explanation."""

    def decorator(function):
        if kind in _RENDERERS:
            raise ValueError(f"A renderer for this kind exists already. Received: kind={kind!r}")
        _RENDERERS[kind] = function
        return function

    return decorator


@dataclasses.dataclass
class Explanation:
    """Why a model decided what it decided, for a batch of inputs.

    Args:
        method: the explanation method, e.g. `"decision_boundary"`.
        kind: how the attributions are laid out and drawn (`"decision_boundary"`
            for 2-D tabular inputs).
        inputs: the raw inputs explained, as an array.
        attributions: one attribution per input element, same shape as `inputs`.
        predictions: the model output explained, one row per input.
        target: the output index (or other target) explained.
        extras: method-specific arrays, e.g. the decision surface.

    Example:

    ```python
    explanation = recipe.explain(inputs)
    explanation.save("why.png")
    ```
    """

    method: str
    kind: str
    inputs: np.ndarray
    attributions: np.ndarray
    predictions: np.ndarray
    target: object = None
    extras: dict = dataclasses.field(default_factory=dict)

    def plot(self):
        """Returns a matplotlib `Figure` of the explanation."""
        from matplotlib.figure import Figure

        if self.kind not in _RENDERERS:
            raise ValueError(f"No renderer for explanation kind. Received: kind={self.kind!r}")
        figure = Figure(figsize=(10, 4.5), layout="constrained")
        _RENDERERS[self.kind](self, figure)
        return figure

    def save(self, path):
        """Renders the explanation to an image file (PNG by suffix); returns the path."""
        path = Path(path).expanduser()
        with atomic_path(path) as tmp:
            self.plot().savefig(tmp, dpi=120)
        return path

    def to_dict(self):
        """JSON-ready summary: method, predictions and attributions."""
        return {
            "method": self.method,
            "target": self.target,
            "predictions": np.asarray(self.predictions).tolist(),
            "attributions": np.asarray(self.attributions).tolist(),
        }
