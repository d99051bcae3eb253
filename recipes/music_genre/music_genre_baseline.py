"""The trivial baseline the CNN must beat: a logistic regression on each
clip's mean log-mel spectrum (timbre and loudness, no rhythm, no harmony
over time)."""

import keras
import numpy as np


def mean_log_mel(model, clips, batch_size=64):
    """Each clip's log-mel spectrum averaged over time, computed by the
    genre model's own front end; `(clips, mel_bins)`."""
    front_end = keras.Model(model.inputs[0], model.get_layer("log_mel").output)
    spectra = [
        np.asarray(front_end(clips[i : i + batch_size], training=False)).mean(axis=1)[..., 0]
        for i in range(0, len(clips), batch_size)
    ]
    return np.concatenate(spectra)


def logistic_regression(train_features, train_labels, num_classes, epochs=300, seed=0):
    """A multinomial logistic regression on standardized features, trained
    full-batch to convergence; returns `predict(features) -> probabilities`."""
    mean = train_features.mean(axis=0)
    scale = train_features.std(axis=0) + 1e-6
    keras.utils.set_random_seed(seed)
    classifier = keras.Sequential(
        [keras.Input((train_features.shape[1],)), keras.layers.Dense(num_classes, "softmax")]
    )
    classifier.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    classifier.fit(
        (train_features - mean) / scale,
        train_labels,
        batch_size=len(train_features),
        epochs=epochs,
        verbose=0,
    )
    return lambda features: classifier.predict((features - mean) / scale, verbose=0)
