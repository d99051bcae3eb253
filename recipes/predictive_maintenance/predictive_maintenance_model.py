"""The two-headed network: remaining useful life and failure within a
horizon, from a window of raw readings."""

import keras

from dlapps.recipes.predictive_maintenance.predictive_maintenance_layers import (
    ConditionNormalization,
)

NORMALIZE = "normalize"
RUL = "rul"
FAILURE = "failure_probability"
PRESETS = ("gru", "cnn")


def build_rul_network(
    window,
    setting_names,
    sensor_names,
    preset="gru",
    filters=32,
    units=64,
    dropout=0.2,
    noise=0.0,
    max_rul=125.0,
    regularizer=None,
    seed=0,
):
    """Builds the network.

    Args:
        window: time steps per input window.
        setting_names / sensor_names: the raw input's columns.
        preset: `"gru"` (two recurrent layers) or `"cnn"` (1-D convolutions
            over time, after Li et al. 2018).
        filters: filters of each convolution (`cnn`).
        units: units of the recurrent layers and of the shared dense layer.
        dropout: before the heads.
        max_rul: the RUL the regression head saturates at; it predicts
            `max_rul` times a number in [0, 1].
        regularizer: kernel regularizer of every layer with a kernel.
        seed: initializer seed.

    Returns:
        A model from `(batch, window, settings + sensors)` raw
        readings to `{"rul": (batch, 1), "failure_probability": (batch, 1)}`.
    """
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {PRESETS}. Received: preset={preset!r}")
    initializer = keras.initializers.GlorotUniform(seed=seed)
    common = {"kernel_initializer": initializer, "kernel_regularizer": regularizer}
    columns = [*setting_names, *sensor_names]
    inputs = keras.Input((window, len(columns)), name="readings")
    x = ConditionNormalization(len(setting_names), column_names=columns, name=NORMALIZE)(inputs)
    x = keras.layers.GaussianNoise(noise, seed=seed, name="noise")(x)
    if preset == "cnn":
        for index, (width, size) in enumerate(((filters, 9), (filters, 9), (filters, 5))):
            x = keras.layers.Conv1D(
                width, size, padding="same", activation="relu", name=f"conv{index + 1}", **common
            )(x)
        x = keras.layers.Conv1D(8, 3, padding="same", activation="relu", name="conv4", **common)(x)
        x = keras.layers.Flatten(name="flatten")(x)
    else:
        x = keras.layers.GRU(units, return_sequences=True, name="gru1", **common)(x)
        x = keras.layers.GRU(units, name="gru2", **common)(x)
    x = keras.layers.Dropout(dropout, seed=seed, name="dropout")(x)
    x = keras.layers.Dense(units, activation="relu", name="dense", **common)(x)
    life = keras.layers.Dense(1, activation="sigmoid", dtype="float32", name="life", **common)(x)
    rul = keras.layers.Rescaling(max_rul, dtype="float32", name=RUL)(life)
    failure = keras.layers.Dense(1, activation="sigmoid", dtype="float32", name=FAILURE, **common)(
        x
    )
    return keras.Model(inputs, {RUL: rul, FAILURE: failure}, name="rul_network")
