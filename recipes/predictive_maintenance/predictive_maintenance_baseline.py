"""The baseline beside the network: gradient-boosted trees on per-window
statistics of each sensor."""

import numpy as np

MAX_TRAINING_WINDOWS = 50_000


def window_statistics(normalized):
    """Per sensor: the last value, the mean and the least-squares slope over
    the window; `(windows, time, sensors)` -> `(windows, 3 * sensors)`."""
    normalized = np.asarray(normalized, "float64")
    steps = normalized.shape[1]
    time = np.arange(steps) - (steps - 1) / 2
    denominator = max(float((time**2).sum()), 1.0)
    slope = np.einsum("t,wts->ws", time, normalized) / denominator
    return np.concatenate([normalized[:, -1], normalized.mean(axis=1), slope], axis=1)


class GradientBoostingBaseline:
    """scikit-learn's histogram gradient boosting regressor on
    `window_statistics` of the condition-normalized readings, predicting the
    same capped RUL as the network.

    Args:
        max_rul: the RUL cap of the targets.
        seed: the trees' random seed.
    """

    def __init__(self, max_rul, seed=0):
        from sklearn.ensemble import HistGradientBoostingRegressor

        self.max_rul = float(max_rul)
        self.model = HistGradientBoostingRegressor(max_iter=300, random_state=seed)

    def fit(self, normalized, rul):
        if len(normalized) > MAX_TRAINING_WINDOWS:
            keep = np.linspace(0, len(normalized) - 1, MAX_TRAINING_WINDOWS).astype(int)
            normalized, rul = normalized[keep], np.asarray(rul)[keep]
        self.model.fit(window_statistics(normalized), np.minimum(rul, self.max_rul))
        return self

    def predict(self, normalized):
        return np.clip(self.model.predict(window_statistics(normalized)), 0, self.max_rul)
