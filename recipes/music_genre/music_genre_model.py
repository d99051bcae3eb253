"""The genre CNN: log-mel spectrogram, SpecAugment, residual separable blocks."""

import math

import keras
import numpy as np

import dlapps

FEATURES_LAYER = "log_mel"
# The last feature map every path to the output passes through (Grad-CAM).
LAST_CONV = "block3_relu2"
# Group normalization behaves the same in training and at inference; batch
# normalization's moving averages lag behind on the few hundred steps a small
# folder of songs gives, and the model then fails at inference only.
GROUPS = 8


def _group_norm(channels, name):
    return keras.layers.GroupNormalization(math.gcd(GROUPS, channels), name=name)


def _block(x, filters, index, regularizer):
    """Two depthwise-separable convolutions with a 1x1 residual path, then
    2x2 pooling over time and frequency."""
    name = f"block{index}"
    shortcut = keras.layers.Conv2D(
        filters, 1, use_bias=False, kernel_regularizer=regularizer, name=f"{name}_shortcut"
    )(x)
    for part in (1, 2):
        x = keras.layers.SeparableConv2D(
            filters,
            3,
            padding="same",
            use_bias=False,
            depthwise_regularizer=regularizer,
            pointwise_regularizer=regularizer,
            name=f"{name}_conv{part}",
        )(x)
        x = _group_norm(filters, f"{name}_norm{part}")(x)
        if part == 1:
            x = keras.layers.ReLU(name=f"{name}_relu{part}")(x)
    x = keras.layers.Add(name=f"{name}_add")([x, shortcut])
    x = keras.layers.ReLU(name=f"{name}_relu2")(x)
    return keras.layers.MaxPooling2D(2, padding="same", name=f"{name}_pool")(x)


def build_genre_cnn(
    num_genres,
    sample_rate,
    fft_length,
    hop_length,
    mel_bins,
    width=32,
    dropout=0.0,
    regularizer=None,
    seed=None,
):
    """Returns a model from raw mono waveforms `(batch, samples)` of any
    length to genre probabilities `(batch, num_genres)`.

    Call `adapt_normalization` on training clips before training. The
    log-mel spectrogram (`log_mel`, shaped `(batch, frames, mel_bins,
    1)`, in dB) is computed inside the model; global pooling makes the
    model indifferent to the number of frames.
    """
    waveform = keras.Input(shape=(None,), name="waveform")
    mel = keras.layers.MelSpectrogram(
        fft_length=fft_length,
        sequence_stride=hop_length,
        sampling_rate=sample_rate,
        num_mel_bins=mel_bins,
        min_freq=20.0,
        max_freq=sample_rate / 2,
        # top_db clips relative to the loudest cell of the whole batch, which
        # would make a clip's spectrogram depend on its batch mates; the layer
        # requires a number, so one too large to ever clip (min_power floors
        # silence at -100 dB instead).
        top_db=1000.0,
        dtype="float32",
        name="mel",
    )(waveform)
    x = keras.layers.Permute((2, 1), name="time_major")(mel)
    x = keras.layers.Reshape((-1, mel_bins, 1), name=FEATURES_LAYER)(x)
    # Per-band standardization with statistics of the training data
    # (`adapt`), not batch statistics: dB values sit far from zero, and a
    # batch normalization's moving averages take hundreds of steps to get
    # there, which a small folder of songs never gives.
    x = keras.layers.Normalization(axis=2, name="mel_norm")(x)
    x = dlapps.layers.SpecAugment(
        time_masks=2,
        time_mask_width=12,
        frequency_masks=2,
        frequency_mask_width=mel_bins // 8,
        seed=seed,
        name="spec_augment",
    )(x)
    x = keras.layers.Conv2D(
        width // 2, 3, padding="same", use_bias=False, kernel_regularizer=regularizer, name="stem"
    )(x)
    x = _group_norm(width // 2, "stem_norm")(x)
    x = keras.layers.ReLU(name="stem_relu")(x)
    x = keras.layers.MaxPooling2D(2, padding="same", name="stem_pool")(x)
    for index, multiple in enumerate((1, 2, 3), start=1):
        x = _block(x, width * multiple, index, regularizer)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    logits = keras.layers.Dense(
        num_genres, kernel_regularizer=regularizer, dtype="float32", name="logits"
    )(x)
    probabilities = keras.layers.Activation("softmax", dtype="float32", name="genre")(logits)
    return keras.Model(waveform, probabilities, name="music_genre_cnn")


def adapt_normalization(model, clips, max_batches=32):
    """Sets the per-band mean and variance of `mel_norm` from the log-mel
    spectrograms of up to `max_batches` batches of `(clips, labels)`."""
    front_end = keras.Model(model.inputs[0], model.get_layer(FEATURES_LAYER).output)
    spectrograms = [
        np.asarray(front_end(batch, training=False)) for batch, _ in clips.take(max_batches)
    ]
    model.get_layer("mel_norm").adapt(np.concatenate(spectrograms))
