"""Input pipeline of `music_genre` against the common hand-written approach.

Both turn the same folder of WAV files (44.1 kHz stereo and 22.05 kHz mono,
30 s each) into log-mel spectrograms of 3 s clips at 22.05 kHz:

- dlapps: the recipe's tf.data pipeline (parallel decode with soundfile,
  downmix, soxr resampling, clip cutting, batched log-mel in the graph).
- librosa: `librosa.load(path, sr=22050)` and `librosa.feature.melspectrogram`
  + `power_to_db` per file, in a Python loop; the spectrogram is cut into
  the same clips.

The recipe caches decoded tracks in memory (`cache_audio=true`), so from
the second epoch on it only cuts clips and computes log-mels; that figure is
printed too. Each side runs once to warm up, then `--repeats` times, alternating; the
median is reported. Run: `python benchmarks/music_genre_pipeline.py`.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlapps  # noqa: E402
from dlapps.recipes.music_genre import music_genre_audio as audio  # noqa: E402
from dlapps.recipes.music_genre import music_genre_data as data  # noqa: E402


def write_folder(folder, files, seconds):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(files):
        rate, channels = (44100, 2) if i % 2 == 0 else (22050, 1)
        time_axis = np.arange(int(seconds * rate)) / rate
        tone = np.sin(2 * np.pi * rng.uniform(100, 1000) * time_axis)
        samples = 0.3 * tone[:, None] + 0.05 * rng.normal(size=(len(time_axis), channels))
        path = folder / f"{i:03d}.wav"
        soundfile.write(str(path), samples.astype("float32"), rate, subtype="PCM_16")
        paths.append(str(path))
    return paths


def dlapps_pipeline(paths, config):
    mel = tf.keras.layers.MelSpectrogram(
        fft_length=config.fft_length,
        sequence_stride=config.hop_length,
        sampling_rate=config.sample_rate,
        num_mel_bins=config.mel_bins,
        min_freq=20.0,
        max_freq=config.sample_rate / 2,
        top_db=1000.0,
    )
    clip = config.clip_samples
    labels = [0] * len(paths)

    def pipeline(tracks):
        # The recipe's validation pipeline (all clips of a track, cut as the
        # exported model cuts them), then the model's log-mel front end.
        clips = data.validation_tracks(tracks, clip, clip).map(
            lambda clips, labels: mel(clips), num_parallel_calls=tf.data.AUTOTUNE
        )
        clips = clips.prefetch(tf.data.AUTOTUNE)
        return lambda: sum(int(batch.shape[0]) for batch in clips)

    decoded = data.decoded_tracks(paths, labels, audio.read_audio, config.sample_rate)
    return pipeline(decoded), pipeline(decoded.cache())


def librosa_pipeline(paths, config):
    clip_frames = config.clip_samples // config.hop_length

    def run():
        count = 0
        for path in paths:
            waveform, rate = librosa.load(path, sr=config.sample_rate, mono=True)
            power = librosa.feature.melspectrogram(
                y=waveform,
                sr=rate,
                n_fft=config.fft_length,
                hop_length=config.hop_length,
                n_mels=config.mel_bins,
                fmin=20.0,
                fmax=rate / 2,
            )
            log_mel = librosa.power_to_db(power)
            # The same clips as the recipe's: every clip_samples, plus one
            # ending at the track's end.
            starts = list(range(0, len(waveform) - config.clip_samples + 1, config.clip_samples))
            if starts[-1] + config.clip_samples < len(waveform):
                starts.append(len(waveform) - config.clip_samples)
            clips = [log_mel[:, s // config.hop_length :][:, :clip_frames] for s in starts]
            count += len(clips)
        return count

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    config = dlapps.get_recipe_class("music_genre").config_class()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_folder(Path(folder), args.files, args.seconds)
        decoding, cached = dlapps_pipeline(paths, config)
        sides = {
            "dlapps tf.data": decoding,
            "librosa loop": librosa_pipeline(paths, config),
            "dlapps cached": cached,  # epochs 2+: decoded tracks kept in memory
        }
        clips = {name: run() for name, run in sides.items()}  # warm-up
        times = {name: [] for name in sides}
        for _ in range(args.repeats):
            for name, run in sides.items():
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
    print(
        f"{args.files} WAV files of {args.seconds:g} s (44.1 kHz stereo / 22.05 kHz mono), "
        f"{os.cpu_count()} CPU cores, median of {args.repeats}"
    )
    rate = {}
    for name in sides:
        seconds = statistics.median(times[name])
        rate[name] = clips[name] / seconds
        print(f"{name:<16} {clips[name]:5d} clips in {seconds:6.2f} s = {rate[name]:8.1f} clips/s")
    ratio = rate["dlapps tf.data"] / rate["librosa loop"]
    cached_ratio = rate["dlapps cached"] / rate["librosa loop"]
    print(f"ratio            {ratio:.2f}x (dlapps / librosa, both decoding every pass)")
    print(f"ratio cached     {cached_ratio:.2f}x (dlapps with decoded tracks cached / librosa)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
