"""The domain's metrics of remaining-useful-life prediction, and the figure
of predicted against true RUL."""

import numpy as np


def rmse(predicted, true):
    """Root mean squared error, in cycles."""
    error = np.asarray(predicted, "float64") - np.asarray(true, "float64")
    return float(np.sqrt(np.mean(error**2)))


def nasa_score(predicted, true):
    """The asymmetric scoring function of the PHM08 data challenge (Saxena
    et al. 2008), summed over units; lower is better.

    With `d = predicted - true`, a unit scores `exp(-d / 13) - 1` when the
    prediction is early (`d < 0`) and `exp(d / 10) - 1` when it is late:
    predicting failure too late is penalized more than too early.
    """
    d = np.asarray(predicted, "float64") - np.asarray(true, "float64")
    return float(np.sum(np.where(d < 0, np.expm1(-d / 13.0), np.expm1(d / 10.0))))


def alert_scores(alerts, failing):
    """Precision and recall of failure alerts against the units that fail
    within the horizon; 0 where nothing was alerted or nothing failed."""
    alerts, failing = np.asarray(alerts, bool), np.asarray(failing, bool)
    hits = float(np.sum(alerts & failing))
    return {
        "alert_precision": hits / alerts.sum() if alerts.any() else 0.0,
        "alert_recall": hits / failing.sum() if failing.any() else 0.0,
    }


def rul_metrics(predicted, true, alerts, horizon, prefix=""):
    """`rmse`, `nasa_score`, `alert_precision` and `alert_recall`, with
    `prefix` before each name."""
    scores = {
        "rmse": rmse(predicted, true),
        "nasa_score": nasa_score(predicted, true),
        **alert_scores(alerts, np.asarray(true) <= horizon),
    }
    return {f"{prefix}{key}": value for key, value in scores.items()}


def save_rul_figure(path, true, predicted, baseline=None, horizon=None):
    """A PNG of each test unit's predicted against true RUL, units sorted by
    true RUL; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import dlapps

    order = np.argsort(np.asarray(true), kind="stable")
    x = np.arange(len(order))
    figure = Figure(figsize=(9, 4.5), layout="constrained")
    axis = figure.subplots()
    axis.plot(x, np.asarray(true)[order], color="black", linewidth=2, label="true RUL (capped)")
    axis.scatter(x, np.asarray(predicted)[order], s=14, color="tab:red", label="network")
    if baseline is not None:
        axis.scatter(x, np.asarray(baseline)[order], s=10, marker="x", color="tab:gray",
                     label="gradient boosting baseline")  # fmt: skip
    if horizon is not None:
        axis.axhline(horizon, color="tab:orange", linestyle="--", linewidth=1,
                     label=f"alert horizon ({horizon:g} cycles)")  # fmt: skip
    axis.set(xlabel="test unit (sorted by true RUL)", ylabel="remaining useful life (cycles)")
    axis.set_title(f"Predicted vs true RUL on the last window of {len(order)} test units")
    axis.legend(loc="upper left", fontsize=8)
    with dlapps.atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=120)
    return path
