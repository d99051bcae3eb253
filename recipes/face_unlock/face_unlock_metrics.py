"""Verification metrics from genuine and impostor pair scores (ISO/IEC 19795
terms: a genuine pair shows one person twice, an impostor pair two people)."""

import numpy as np


def pair_scores(embeddings, labels):
    """Scores (cosine similarity) and genuine flags of every pair `i < j`."""
    embeddings = np.asarray(embeddings, "float64")
    labels = np.asarray(labels)
    first, second = np.triu_indices(len(labels), k=1)
    scores = np.sum(embeddings[first] * embeddings[second], axis=1)
    return scores, labels[first] == labels[second]


def roc(scores, genuine):
    """`(far, tar, thresholds)` for every distinct score used as the
    threshold (accept when `score >= threshold`), highest first."""
    scores = np.asarray(scores, "float64")
    genuine = np.asarray(genuine, bool)
    if genuine.all() or not genuine.any():
        raise ValueError(
            "Verification metrics need genuine and impostor pairs. Received: "
            f"{int(genuine.sum())} genuine, {int((~genuine).sum())} impostor"
        )
    order = np.argsort(-scores, kind="stable")
    scores, genuine = scores[order], genuine[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tar = np.cumsum(genuine)[last_of_each] / genuine.sum()
    far = np.cumsum(~genuine)[last_of_each] / (~genuine).sum()
    return np.r_[0.0, far], np.r_[0.0, tar], np.r_[np.inf, scores[last_of_each]]


def roc_auc(far, tar):
    return float(np.trapezoid(tar, far))


def equal_error_rate(far, tar):
    """Where the false-accept rate equals the false-reject rate (`1 - tar`),
    linearly interpolated between ROC points."""
    frr = 1 - tar
    crossing = np.flatnonzero(far >= frr)[0]
    if crossing == 0:
        return float(far[0])
    f0, f1, r0, r1 = far[crossing - 1], far[crossing], frr[crossing - 1], frr[crossing]
    share = (r0 - f0) / ((f1 - f0) - (r1 - r0))
    return float(f0 + share * (f1 - f0))


def tar_at_far(far, tar, target_far):
    """The true-accept rate at the strictest ROC point whose false-accept
    rate is at most `target_far`."""
    return float(tar[np.flatnonzero(far <= target_far)[-1]])


def threshold_at_far(far, thresholds, target_far):
    """The lowest threshold whose false-accept rate is at most `target_far`."""
    allowed = np.flatnonzero(far <= target_far)
    return float(thresholds[allowed[-1]])


def rates_at(scores, genuine, threshold):
    """`(far, frr)` when accepting `score >= threshold`."""
    scores = np.asarray(scores)
    genuine = np.asarray(genuine, bool)
    accepted = scores >= threshold
    return float(accepted[~genuine].mean()), float((~accepted[genuine]).mean())


def save_roc_figure(far, tar, operating_point, path):
    """Writes the ROC curve (log false-accept axis) with the calibrated
    operating point `(far, tar)` marked, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import dlapps

    figure = Figure(figsize=(4.8, 4.2), layout="constrained")
    axis = figure.subplots()
    floor = 1e-5
    axis.plot(np.maximum(far, floor), tar, color="tab:blue", label="model")
    point_far, point_tar = operating_point
    axis.plot(max(point_far, floor), point_tar, "o", color="tab:red",
              label=f"threshold: FAR {point_far:.2g}, TAR {point_tar:.3f}")  # fmt: skip
    axis.set(xscale="log", xlim=(floor, 1), ylim=(0, 1.01), xlabel="false-accept rate",
             ylabel="true-accept rate", title="ROC on held-out people")  # fmt: skip
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(loc="lower right", fontsize=8)
    with dlapps.atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
