"""Decision-boundary explanation for models of two input features."""

import numpy as np
import tensorflow as tf

from dlapps.explainers.explanation import register_renderer
from dlapps.explainers.registry import register_explainer


@register_explainer("decision_boundary", ("tabular",))
def decision_boundary(model, features, target, threshold=0.5, baseline=None, resolution=150):
    """Explains a two-feature model by its decision surface and gradient x input.

    The attributions are gradient x (input - baseline) per feature; for a
    linear model they are exact: they sum to `f(x) - f(baseline)`.

    Args:
        model: a Keras model taking `(batch, 2)` inputs.
        features: `(batch, 2)` raw inputs.
        target: a prepared `Target`: the score the surface shows.
        threshold: the score at which the decision flips.
        baseline: the reference input, e.g. the training mean; zeros when `None`.
        resolution: grid points per axis of the decision surface.
    """
    x = np.asarray(features, dtype="float32")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"decision_boundary explains models of two input features. Received: "
            f"inputs.shape={x.shape}"
        )
    baseline = np.zeros(2, "float32") if baseline is None else np.reshape(baseline, (2,))
    tensor = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        scores = target.score(model(tensor, training=False))
    gradients = tape.gradient(scores, tensor).numpy()

    low, high = x.min(axis=0), x.max(axis=0)
    margin = np.maximum(high - low, 1.0) * 0.5
    axes = [np.linspace(low[i] - margin[i], high[i] + margin[i], resolution) for i in range(2)]
    grid_x, grid_y = np.meshgrid(*axes)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype("float32")
    surface = np.concatenate(
        [
            np.asarray(target.score(model(tf.constant(part), training=False)))
            for part in np.array_split(grid, max(1, len(grid) // 4096))
        ]
    )
    extras = {
        "grid_x": grid_x,
        "grid_y": grid_y,
        "surface": surface.reshape(grid_x.shape),
        "threshold": float(threshold),
        "baseline": baseline,
    }
    return gradients * (x - baseline), extras


@register_renderer("decision_boundary", row_height=1.0)
def _render(explanation, figure):
    extras = explanation.extras
    names = extras.get("feature_names") or ["x1", "x2"]
    threshold = extras["threshold"]
    surface_axes, bar_axes = figure.subplots(1, 2, width_ratios=[1.2, 1])

    surface = extras["surface"]
    span = max(np.abs(surface - threshold).max(), 1e-6)
    image = surface_axes.contourf(
        extras["grid_x"],
        extras["grid_y"],
        surface,
        levels=30,
        cmap="RdBu_r",
        vmin=threshold - span,
        vmax=threshold + span,
    )
    surface_axes.contour(
        extras["grid_x"],
        extras["grid_y"],
        surface,
        levels=[threshold],
        colors="black",
        linewidths=2,
    )
    decided = explanation.predictions >= threshold
    surface_axes.scatter(
        *explanation.inputs.T,
        c=np.where(decided, "tab:red", "tab:blue"),
        edgecolors="white",
        s=60,
        zorder=3,
    )
    for index, point in enumerate(explanation.inputs):
        surface_axes.annotate(f"#{index}", point, textcoords="offset points", xytext=(6, 6))
    figure.colorbar(image, ax=surface_axes, label="model output")
    surface_axes.set(
        xlabel=names[0], ylabel=names[1], title=f"Decision boundary (output = {threshold:g})"
    )

    count = len(explanation.inputs)
    positions = np.arange(count)
    width = 0.38
    for feature in range(2):
        bar_axes.bar(
            positions + (feature - 0.5) * width,
            explanation.attributions[:, feature],
            width,
            label=names[feature],
        )
    bar_axes.axhline(0, color="black", linewidth=0.8)
    labels = [label.replace(" = ", "\n") for label in explanation.labels or [""] * count]
    bar_axes.set_xticks(positions, [f"#{i}\n{label}" for i, label in enumerate(labels)], fontsize=8)
    bar_axes.set(
        ylabel="gradient x (input - baseline)", title="Feature contributions (vs. baseline)"
    )
    bar_axes.legend()
