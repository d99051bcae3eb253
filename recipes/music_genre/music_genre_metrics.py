"""Track-level metrics of the genre recipe and the confusion-matrix figure."""

import numpy as np

import dlapps


def confusion_matrix(true, predicted, num_classes):
    """`(num_classes, num_classes)` counts: rows are true, columns predicted."""
    matrix = np.zeros((num_classes, num_classes), "int64")
    np.add.at(matrix, (np.asarray(true), np.asarray(predicted)), 1)
    return matrix


def macro_f1(confusion):
    """The unweighted mean of per-class F1 over the classes present in the
    data or the predictions."""
    true_positives = np.diag(confusion).astype("float64")
    predicted = confusion.sum(axis=0)
    actual = confusion.sum(axis=1)
    present = (predicted + actual) > 0
    f1 = 2 * true_positives / np.maximum(predicted + actual, 1)
    return float(f1[present].mean()) if present.any() else 0.0


def save_confusion_matrix(confusion, names, path):
    """Draws the confusion matrix with counts and row-normalized colours."""
    from matplotlib.figure import Figure

    rows = confusion.sum(axis=1, keepdims=True)
    share = confusion / np.maximum(rows, 1)
    size = 1.5 + 0.6 * len(names)
    figure = Figure(figsize=(size + 1.5, size), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(share, cmap="Blues", vmin=0, vmax=1)
    axis.set(
        xticks=range(len(names)),
        yticks=range(len(names)),
        xlabel="predicted genre",
        ylabel="true genre",
        title=f"Track confusion matrix ({int(confusion.sum())} tracks)",
    )
    axis.set_xticklabels(names, rotation=45, ha="right")
    axis.set_yticklabels(names)
    for (row, column), count in np.ndenumerate(confusion):
        if count:
            colour = "white" if share[row, column] > 0.5 else "black"
            axis.text(column, row, str(count), ha="center", va="center", color=colour)
    figure.colorbar(image, ax=axis, label="share of the true genre's tracks")
    with dlapps.atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=110, format="png")
    return path
