"""The result of an explanation: attributions aligned with the inputs."""

import dataclasses
from pathlib import Path

import numpy as np

from dlapps.atomic import atomic_path

_RENDERERS = {}
MAX_ROWS = 4


def register_renderer(kind, row_height=2.6):
    """Registers `function(explanation, figure)` that draws explanations of a
    layout (`"image"`, `"tokens"`, ...) or of one method (`"decision_boundary"`),
    `row_height` inches per input shown."""

    def decorator(function):
        if kind in _RENDERERS:
            raise ValueError(f"A renderer for this kind exists already. Received: kind={kind!r}")
        _RENDERERS[kind] = (function, row_height)
        return function

    return decorator


@dataclasses.dataclass
class Explanation:
    """Why a model decided what it decided, for a batch of inputs.

    Args:
        method: the explanation method, e.g. `"gradcam"`.
        kind: the layout of `inputs`: `"image"`, `"image_pair"`,
            `"spectrogram"`, `"tokens"`, `"series"` or `"tabular"`.
        inputs: what was explained, as shown: images, spectrograms (time x
            frequency), token strings, series (time x sensor), features.
        attributions: one attribution per element of `inputs`, same shape.
        predictions: the explained value per input (class probability,
            regression output, similarity, reconstruction error).
        target: what was explained, e.g. `"ClassScore(index=None, ...)"`.
        labels: the prediction of each input, in words, for figure titles.
        extras: method-specific results, e.g. Integrated Gradients'
            completeness check.
        sanity: the randomization check (`SanityCheck`), when it was run.

    Example:

    ```python
    explanation = recipe.explain(inputs, sanity_check=True)
    print(explanation.sanity)
    explanation.save("why.png")
    ```
    """

    method: str
    kind: str
    inputs: np.ndarray
    attributions: np.ndarray
    predictions: np.ndarray
    target: object = None
    labels: list = dataclasses.field(default_factory=list)
    extras: dict = dataclasses.field(default_factory=dict)
    sanity: object = None

    @property
    def title(self):
        """Method, sanity-check result and target, for the figure's title."""
        parts = [self.method.replace("_", " ")]
        if self.sanity is not None:
            parts.append(str(self.sanity))
        completeness = self.extras.get("completeness")
        if completeness:
            error = max(completeness["relative_error"])
            parts.append(f"completeness error {error:.1%}")
        return " | ".join(parts)

    def plot(self):
        """Returns a matplotlib `Figure`: each input beside its attribution,
        titled with the prediction, the method and the sanity check."""
        from matplotlib.figure import Figure

        found = _RENDERERS.get(self.method) or _RENDERERS.get(self.kind)
        if found is None:
            raise ValueError(f"No renderer for explanation kind. Received: kind={self.kind!r}")
        renderer, row_height = found
        rows = min(len(self.inputs), MAX_ROWS)
        figure = Figure(figsize=(10, 0.8 + row_height * rows), layout="constrained")
        renderer(self, figure)
        failed = self.sanity is not None and self.sanity.applicable and not self.sanity.passed
        figure.suptitle(self.title, color="tab:red" if failed else "black", fontweight="bold")
        return figure

    def save(self, path):
        """Renders the explanation to an image file (PNG by suffix); returns the path."""
        path = Path(path).expanduser()
        with atomic_path(path) as tmp:
            self.plot().savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
        return path

    def to_dict(self):
        """JSON-ready summary: method, target, predictions, sanity check, attributions."""
        return {
            "method": self.method,
            "kind": self.kind,
            "target": self.target,
            "labels": list(self.labels),
            "predictions": np.asarray(self.predictions).tolist(),
            "sanity_check": self.sanity.to_dict() if self.sanity is not None else None,
            "completeness": self.extras.get("completeness"),
            "attributions": np.asarray(self.attributions).tolist(),
        }
