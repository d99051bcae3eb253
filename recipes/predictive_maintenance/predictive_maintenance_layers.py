"""The in-model normalization of raw readings per operating condition."""

import keras
import numpy as np
from keras import ops

MAX_CONDITIONS = 10
CLEAR_SILHOUETTE = 0.7


@keras.saving.register_keras_serializable(package="dlapps")
class ConditionNormalization(keras.layers.Layer):
    """Standardizes sensor readings per operating condition.

    A machine's sensors move far more with how it is run (altitude, speed,
    load) than with wear. The layer assigns each time step to the nearest
    operating condition, found by clustering the settings at training time,
    and standardizes each sensor with that condition's mean and spread.
    Sensors that are constant within every condition carry nothing and come
    out as zeros; missing readings (NaN) come out as zeros, the condition's
    average. All statistics live in the config, so exports carry them.

    Args:
        setting_count: how many leading input columns are settings.
        centroids: `(conditions, setting_count)` condition centres, in
            settings scaled by `setting_scale`.
        setting_scale: the spread of each setting, for distances.
        means / stds: `(conditions, sensors)` per-condition statistics.
        constant: per sensor, whether it is constant (dropped).
        column_names: the names of the input columns, settings first.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: `(batch, time, setting_count + sensors)` raw readings.

    Returns:
        `(batch, time, sensors)` standardized readings.

    Example:

    >>> layer = ConditionNormalization(setting_count=1)
    >>> layer.adapt(np.array([[0.0, 10.0], [0.0, 12.0], [5.0, 100.0], [5.0, 104.0]]))
    >>> layer(np.array([[[5.0, 102.0]]], "float32"))  # the second condition's mean
    """

    def __init__(
        self,
        setting_count=0,
        centroids=None,
        setting_scale=None,
        means=None,
        stds=None,
        constant=None,
        column_names=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if int(setting_count) < 0:
            raise ValueError(
                "ConditionNormalization argument `setting_count` must be >= 0. "
                f"Received: setting_count={setting_count!r}"
            )
        self.setting_count = int(setting_count)
        self.centroids = _matrix(centroids)
        self.setting_scale = _vector(setting_scale)
        self.means = _matrix(means)
        self.stds = _matrix(stds)
        self.constant = [bool(c) for c in constant] if constant is not None else None
        self.column_names = [str(n) for n in column_names] if column_names is not None else None

    @property
    def adapted(self):
        return self.means is not None

    @property
    def conditions(self):
        return len(self.means) if self.adapted else 0

    def adapt(self, rows, conditions=0, seed=0):
        """Finds the operating conditions and the sensor statistics.

        Args:
            rows: `(rows, setting_count + sensors)` raw readings of the
                training units; NaN readings are ignored.
            conditions: how many conditions; 0 picks the number from 2 to
                10 whose clusters are clearest (highest silhouette), or one
                condition when no clustering is clear (silhouette < 0.7).
            seed: for the clustering.
        """
        rows = np.asarray(rows, "float64")
        settings, sensors = rows[:, : self.setting_count], rows[:, self.setting_count :]
        settings = np.where(np.isnan(settings), np.nanmean(settings, axis=0), settings)
        scale = settings.std(axis=0) if len(settings) else np.ones(0)
        scale = np.where(scale > 1e-12, scale, 1.0)
        scaled = settings / scale
        if self.setting_count == 0:
            centroids, labels = np.zeros((1, 0)), np.zeros(len(rows), int)
        else:
            kmeans = _clusters(scaled, conditions, seed)
            centroids, labels = kmeans.cluster_centers_, kmeans.labels_
        means = np.zeros((len(centroids), sensors.shape[1]))
        stds = np.ones_like(means)
        spread = np.zeros_like(means)
        for condition in range(len(centroids)):
            chosen = sensors[labels == condition]
            if len(chosen):
                means[condition] = np.nan_to_num(np.nanmean(chosen, axis=0))
                spread[condition] = np.nan_to_num(np.nanstd(chosen, axis=0))
        tolerance = 1e-6 * np.maximum(np.abs(means).max(axis=0), 1.0)
        constant = (spread <= tolerance).all(axis=0)
        stds = np.where(spread > tolerance, spread, 1.0)
        self.centroids, self.setting_scale = centroids.tolist(), scale.tolist()
        self.means, self.stds, self.constant = means.tolist(), stds.tolist(), constant.tolist()
        return labels

    def condition_of(self, settings):
        """The index of the nearest condition of each row of `settings`."""
        centroids = ops.convert_to_tensor(np.array(self.centroids, "float32"))
        scaled = settings / ops.convert_to_tensor(np.array(self.setting_scale, "float32"))
        scaled = ops.where(ops.isnan(scaled), ops.zeros_like(scaled), scaled)
        distances = ops.sum(ops.square(scaled[..., None, :] - centroids), axis=-1)
        return ops.argmin(distances, axis=-1)

    def call(self, inputs):
        if not self.adapted:
            raise ValueError(
                "ConditionNormalization has no statistics: call adapt() on training readings "
                "before using it."
            )
        inputs = ops.cast(inputs, "float32")
        sensors = inputs[..., self.setting_count :]
        if self.setting_count and self.conditions > 1:
            condition = self.condition_of(inputs[..., : self.setting_count])
        else:
            condition = ops.zeros(ops.shape(sensors)[:-1], "int32")
        means = ops.take(np.array(self.means, "float32"), condition, axis=0)
        stds = ops.take(np.array(self.stds, "float32"), condition, axis=0)
        normalized = (sensors - means) / stds
        keep = np.logical_not(self.constant).astype("float32")
        normalized = ops.where(ops.isnan(normalized), ops.zeros_like(normalized), normalized)
        return ops.cast(normalized * keep, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] - self.setting_count)

    def get_config(self):
        return {
            **super().get_config(),
            "setting_count": self.setting_count,
            "centroids": self.centroids,
            "setting_scale": self.setting_scale,
            "means": self.means,
            "stds": self.stds,
            "constant": self.constant,
            "column_names": self.column_names,
        }


def _clusters(scaled, conditions, seed):
    """k-means of the scaled settings into `conditions` clusters, or into
    the clearest number of clusters when `conditions` is 0."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    def kmeans(count):
        return KMeans(count, n_init=4, random_state=seed).fit(scaled)

    if conditions:
        return kmeans(conditions)
    best, clearest = kmeans(1), CLEAR_SILHOUETTE
    for count in range(2, min(MAX_CONDITIONS, len(scaled) - 1) + 1):
        candidate = kmeans(count)
        if len(set(candidate.labels_)) < count:
            break  # fewer distinct settings than clusters
        score = silhouette_score(scaled, candidate.labels_, sample_size=2000, random_state=seed)
        if score > clearest:
            best, clearest = candidate, score
    return best


def _matrix(values):
    return None if values is None else [[float(v) for v in row] for row in values]


def _vector(values):
    return None if values is None else [float(v) for v in values]
