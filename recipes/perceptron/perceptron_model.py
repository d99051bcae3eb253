"""The perceptron: one thresholded linear unit on normalized raw features."""

import keras


def build_perceptron(dropout=0.0, regularizer=None):
    """Returns a model from raw `(batch, 2)` features to the unit's score.

    The unit outputs `w . x + b`; the decision is `score >= 0`, applied by the
    recipe's serving signature.
    """
    inputs = keras.Input(shape=(2,), name="features")
    # Statistics in float32 also under mixed precision: raw units span 1e3.
    x = keras.layers.Normalization(dtype="float32", name="normalize")(inputs)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    score = keras.layers.Dense(1, kernel_regularizer=regularizer, dtype="float32", name="unit")(x)
    return keras.Model(inputs, score, name="perceptron")
