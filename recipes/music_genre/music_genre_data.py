"""tf.data pipelines of the genre recipe.

Tracks (whole songs, mono at the model's sample rate) become training clips
(fixed length, overlapping, shuffled across tracks) and validation batches
of one track each (all clips of the track, cut exactly as the exported
model cuts them), so `evaluate` can vote per track.
"""

import numpy as np
import tensorflow as tf


def track_clips(waveforms, clip_samples, hop_samples):
    """Cuts mono waveforms into clips of `clip_samples`.

    Clips start every `hop_samples`; a last clip ends at the track's end, so
    no part of the track is left out. A track shorter than one clip is
    padded with silence.

    Args:
        waveforms: a float32 `(samples,)` tensor, or a batch `(batch,
            samples)` of equally long tracks.

    Returns:
        `(clips, clip_samples)`, or `(batch, clips, clip_samples)`.
    """
    waveforms = tf.convert_to_tensor(waveforms, tf.float32)
    length = tf.shape(waveforms)[-1]
    padding = [[0, 0]] * (len(waveforms.shape) - 1) + [[0, tf.maximum(clip_samples - length, 0)]]
    waveforms = tf.pad(waveforms, padding)
    length = tf.shape(waveforms)[-1]
    clips = tf.signal.frame(waveforms, clip_samples, hop_samples, axis=-1)
    covered = (tf.shape(clips)[-2] - 1) * hop_samples + clip_samples
    last = waveforms[..., length - clip_samples :][..., None, :]
    return tf.cond(covered < length, lambda: tf.concat([clips, last], axis=-2), lambda: clips)


def decoded_tracks(paths, labels, read_audio, sample_rate):
    """A dataset of `(waveform, label)` decoding `paths` in parallel.

    Args:
        read_audio: `function(path, sample_rate) -> float32 waveform`.
    """

    def decode(path):
        return read_audio(path.decode(), sample_rate)

    def load(path, label):
        waveform = tf.numpy_function(decode, [path], tf.float32, stateful=False)
        return tf.ensure_shape(waveform, [None]), label

    data = tf.data.Dataset.from_tensor_slices((list(paths), np.asarray(labels, "int32")))
    return data.map(load, num_parallel_calls=tf.data.AUTOTUNE)


def training_clips(tracks, clip_samples, hop_samples, batch_size, seed, shuffle_buffer):
    """Shuffled batches of `(clip, label)` from a dataset of tracks."""

    def clips_of(waveform, label):
        clips = track_clips(waveform, clip_samples, hop_samples)
        return tf.data.Dataset.from_tensor_slices((clips, tf.fill([tf.shape(clips)[0]], label)))

    return (
        tracks.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
        .interleave(clips_of, cycle_length=16, num_parallel_calls=tf.data.AUTOTUNE)
        .shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def validation_tracks(tracks, clip_samples, hop_samples):
    """One batch per track: `(clips, labels)` of all its clips."""

    def clips_of(waveform, label):
        clips = track_clips(waveform, clip_samples, hop_samples)
        return clips, tf.fill([tf.shape(clips)[0]], label)

    return tracks.map(clips_of, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def tfds_tracks(split, sample_rate, dataset_sample_rate, resample):
    """`(waveform, label)` tracks from a TFDS audio split of integer samples.

    Args:
        split: a dataset of dicts with `"audio"` (int samples) and `"label"`.
        resample: `function(waveform, rate_in, rate_out)` in NumPy.
    """

    def convert(example):
        waveform = tf.cast(example["audio"], tf.float32) / 32768.0
        if len(waveform.shape) == 2:
            waveform = tf.reduce_mean(waveform, axis=-1)
        if dataset_sample_rate != sample_rate:
            waveform = tf.numpy_function(
                lambda w: resample(w, dataset_sample_rate, sample_rate).astype("float32"),
                [waveform],
                tf.float32,
                stateful=False,
            )
            waveform = tf.ensure_shape(waveform, [None])
        return waveform, tf.cast(example["label"], tf.int32)

    return split.map(convert, num_parallel_calls=tf.data.AUTOTUNE)
