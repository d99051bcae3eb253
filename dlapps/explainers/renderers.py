"""Figures for each input layout: the input beside its attribution.

Each renderer draws up to `MAX_ROWS` inputs, one row each, titled with the
prediction; `Explanation.plot` adds the method and sanity check on top.
"""

import numpy as np

from dlapps.explainers.explanation import MAX_ROWS, register_renderer

HEAT = "jet"
SIGNED = "RdBu_r"


@register_renderer("image")
def render_images(explanation, figure):
    rows = _rows(explanation)
    axes = figure.subplots(len(rows), 3, squeeze=False)
    synthesized = explanation.extras.get("synthesized", False)
    for row, index in zip(axes, rows, strict=True):
        image = explanation.inputs[index]
        attribution = explanation.attributions[index]
        _show_image(row[0], image, explanation.labels[index] if explanation.labels else "")
        if synthesized:
            _show_image(row[1], attribution, "what it looks for")
            row[2].axis("off")
            continue
        heat = _magnitude(attribution)
        row[1].imshow(heat, cmap=HEAT, vmin=0, vmax=1)
        row[1].set_title("attribution", fontsize=9)
        _show_image(row[2], image, "overlay")
        row[2].imshow(heat, cmap=HEAT, alpha=0.45, vmin=0, vmax=1)
        for axis in row[1:]:
            axis.axis("off")


@register_renderer("image_pair")
def render_image_pairs(explanation, figure):
    rows = _rows(explanation)
    axes = figure.subplots(len(rows), 4, squeeze=False)
    for row, index in zip(axes, rows, strict=True):
        label = explanation.labels[index] if explanation.labels else "first"
        for side, title in enumerate((label, "second")):
            image = explanation.inputs[index, side]
            heat = _magnitude(explanation.attributions[index, side])
            _show_image(row[2 * side], image, title)
            _show_image(row[2 * side + 1], image, "what drove the match")
            row[2 * side + 1].imshow(heat, cmap=HEAT, alpha=0.45, vmin=0, vmax=1)


@register_renderer("spectrogram")
def render_spectrograms(explanation, figure):
    """Time across (in seconds with `extras["time_step"]`), frequency up
    (mel bands, labelled in Hz with `extras["frequencies"]`); rows of
    different lengths are cut to `extras["frames"]`."""
    rows = _rows(explanation)
    axes = figure.subplots(len(rows), 3, squeeze=False)
    step = explanation.extras.get("time_step")
    frequencies = explanation.extras.get("frequencies")
    frames = explanation.extras.get("frames")
    for row, index in zip(axes, rows, strict=True):
        length = frames[index] if frames else len(explanation.inputs[index])
        spectrogram = explanation.inputs[index][:length].T  # frequency up, time across
        heat = _normalized(np.abs(explanation.attributions[index][:length]).T)
        label = explanation.labels[index] if explanation.labels else ""
        # Cells span [i, i + 1] in both directions (or seconds across).
        extent = (0, length * (step or 1), 0, spectrogram.shape[0])
        for axis, title in zip(row, (label, "attribution", "overlay"), strict=True):
            axis.set(title=title, xlabel="time (s)" if step else "time frame")
            _frequency_axis(axis, frequencies)
        shown = {"origin": "lower", "aspect": "auto", "extent": extent, "interpolation": "none"}
        row[0].imshow(spectrogram, cmap="magma", **shown)
        row[1].imshow(heat, cmap=HEAT, vmin=0, vmax=1, **shown)
        row[2].imshow(spectrogram, cmap="gray", **shown)
        row[2].imshow(heat, cmap=HEAT, alpha=0.5, vmin=0, vmax=1, **shown)


def _frequency_axis(axis, frequencies):
    """Labels mel bands by their centre frequency where it is known."""
    if not frequencies:
        axis.set_ylabel("mel band")
        return
    ticks = np.linspace(0, len(frequencies) - 1, 5).round().astype(int)
    labels = [f"{frequencies[t] / 1000:.1f}k" if frequencies[t] >= 1000 else
              f"{frequencies[t]:.0f}" for t in ticks]  # fmt: skip
    axis.set_yticks(ticks + 0.5, labels)
    axis.set_ylabel("frequency (Hz)")


@register_renderer("tokens", row_height=0.8)
def render_tokens(explanation, figure):
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    rows = _rows(explanation)
    axes = figure.subplots(len(rows), 1, squeeze=False)[:, 0]
    colormap = colormaps[SIGNED]
    for axis, index in zip(axes, rows, strict=True):
        tokens = [str(token) for token in explanation.inputs[index]]
        values = np.asarray(explanation.attributions[index], "float64")
        shown = [i for i, token in enumerate(tokens) if token]
        span = max(np.abs(values[shown]).max() if shown else 0.0, 1e-12)
        norm = Normalize(-span, span)
        axis.axis("off")
        axis.set_title(explanation.labels[index] if explanation.labels else "", loc="left")
        x, y, line_chars = 0.0, 0.5, 70
        for i in shown:
            width = (len(tokens[i]) + 1) / line_chars
            if x + width > 1.0:
                x, y = 0.0, y - 0.3
            axis.text(
                x,
                y,
                tokens[i],
                family="monospace",
                fontsize=11,
                color="white" if abs(values[i]) > 0.6 * span else "black",
                transform=axis.transAxes,
                bbox={"facecolor": colormap(norm(values[i])), "edgecolor": "none", "pad": 2},
            )
            x += width
    mappable = _scalar_mappable(colormap, -1, 1)
    figure.colorbar(
        mappable,
        ax=axes,
        orientation="horizontal",
        label="attribution (scaled per text): red for, blue against",
        fraction=0.25 / len(rows),
        aspect=40,
    )


@register_renderer("series")
def render_series(explanation, figure):
    rows = _rows(explanation)
    axes = figure.subplots(len(rows), 2, squeeze=False)
    names = explanation.extras.get("feature_names")
    for row, index in zip(axes, rows, strict=True):
        readings = np.asarray(explanation.inputs[index], "float64")  # time x sensor
        spread = readings.std(axis=0)
        scaled = (readings - readings.mean(axis=0)) / np.where(spread > 0, spread, 1)
        attribution = np.asarray(explanation.attributions[index], "float64")
        span = max(np.abs(attribution).max(), 1e-12)
        label = explanation.labels[index] if explanation.labels else ""
        row[0].imshow(scaled.T, aspect="auto", cmap="viridis", interpolation="none")
        image = row[1].imshow(
            attribution.T, aspect="auto", cmap=SIGNED, vmin=-span, vmax=span, interpolation="none"
        )
        figure.colorbar(image, ax=row[1], label="attribution")
        row[0].set_title(f"{label}: readings (z-scored)", loc="left")
        row[1].set_title("attribution: sensor x time")
        for axis in row:
            axis.set_xlabel("time step")
            if names is not None and len(names) == readings.shape[1]:
                axis.set_yticks(range(len(names)), names, fontsize=7)
            else:
                axis.set_ylabel("sensor")


@register_renderer("tabular", row_height=1.6)
def render_tabular(explanation, figure):
    rows = _rows(explanation)
    axes = figure.subplots(len(rows), 1, squeeze=False)[:, 0]
    for axis, index in zip(axes, rows, strict=True):
        values = np.asarray(explanation.attributions[index], "float64").ravel()
        inputs = np.asarray(explanation.inputs[index], "float64").ravel()
        names = explanation.extras.get("feature_names") or [f"x{i + 1}" for i in range(len(values))]
        colors = np.where(values >= 0, "tab:red", "tab:blue")
        axis.barh(range(len(values)), values, color=colors)
        axis.set_yticks(
            range(len(values)), [f"{n} = {v:.4g}" for n, v in zip(names, inputs, strict=False)]
        )
        axis.axvline(0, color="black", linewidth=0.8)
        axis.invert_yaxis()
        axis.set(xlabel="attribution")
        axis.set_title(explanation.labels[index] if explanation.labels else "", loc="left")


def _rows(explanation):
    return range(min(len(explanation.inputs), MAX_ROWS))


def _show_image(axis, image, title):
    image = np.asarray(image, "float64")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    axis.imshow(_normalized(image), cmap="gray" if image.ndim == 2 else None)
    axis.set_title(title, fontsize=9)
    axis.axis("off")


def _magnitude(attribution):
    """A `(height, width)` map in [0, 1] of the attribution's size per pixel."""
    attribution = np.abs(np.asarray(attribution, "float64"))
    if attribution.ndim == 3:
        attribution = attribution.mean(axis=-1)
    return _normalized(attribution)


def _normalized(values):
    values = np.asarray(values, "float64")
    low, span = values.min(), np.ptp(values)
    return (values - low) / span if span > 0 else np.zeros_like(values)


def _scalar_mappable(colormap, low, high):
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    return ScalarMappable(norm=Normalize(low, high), cmap=colormap)
