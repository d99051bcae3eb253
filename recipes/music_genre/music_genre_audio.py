"""Audio files: finding them in a folder of genres, checking and decoding them.

WAV, FLAC and OGG at any sample rate, mono or stereo, are decoded with
soundfile (libsndfile), mixed down to mono and resampled with soxr, the
resampler librosa uses.
"""

import hashlib
import warnings

import numpy as np
import soundfile
import soxr

import dlapps

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
MIN_SECONDS = 1.0
# Integer encodings are read as integers (libsndfile scales them to the
# dtype's full range) and converted once, which is much faster than letting
# libsndfile convert each interleaved sample to float.
_INTEGER_SUBTYPES = {
    "PCM_U8": ("int16", 2.0**15),
    "PCM_S8": ("int16", 2.0**15),
    "PCM_16": ("int16", 2.0**15),
    "PCM_24": ("int32", 2.0**31),
    "PCM_32": ("int32", 2.0**31),
}


def read_audio(path, sample_rate):
    """Decodes an audio file to a float32 mono waveform at `sample_rate`.

    Raises:
        dlapps.errors.DataError: naming the file, when it cannot be decoded.
    """
    try:
        with soundfile.SoundFile(str(path)) as file:
            dtype, scale = _INTEGER_SUBTYPES.get(file.subtype, ("float32", 1.0))
            samples = file.read(dtype=dtype, always_2d=True)
            rate = file.samplerate
    except (RuntimeError, soundfile.LibsndfileError, OSError) as error:
        raise dlapps.errors.DataError(f"{path}: cannot decode audio ({error})") from None
    # Channel by channel: numpy reduces the short channel axis of an
    # interleaved array an order of magnitude slower.
    mono = samples[:, 0].astype("float32")
    for channel in range(1, samples.shape[1]):
        mono += samples[:, channel]
    mono *= np.float32(1.0 / (scale * samples.shape[1]))
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate)
    return np.ascontiguousarray(mono, dtype="float32")


def probe(path):
    """Checks that `path` is audio of at least `MIN_SECONDS`; returns the
    reason it is not, or `None`."""
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError, OSError) as error:
        return f"cannot decode audio ({' '.join(str(error).split())})"
    if info.samplerate <= 0 or info.frames / info.samplerate < MIN_SECONDS:
        seconds = info.frames / max(info.samplerate, 1)
        return f"shorter than {MIN_SECONDS:g} s ({seconds:.2f} s)"
    return None


def scan_genre_folder(root, skip_bad_files=False):
    """Finds the tracks of a folder with one subfolder per genre.

    Args:
        root: the folder.
        skip_bad_files: skip files that cannot be decoded (or are too short)
            with a warning instead of failing.

    Returns:
        `(paths, labels, genres)`: sorted track paths, their genre indices,
        and the genre names (the subfolder names, sorted).

    Raises:
        dlapps.errors.DataError: fewer than two genres, a genre without
            audio files, or a file that cannot be decoded.
    """
    folders = dlapps.data.class_folders(root, "genre")
    paths, labels = [], []
    for label, folder in enumerate(folders):
        files = sorted(
            p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file()
        )
        good = []
        for path in files:
            reason = probe(path)
            if reason is None:
                good.append(path)
            elif skip_bad_files:
                warnings.warn(f"Skipping {path}: {reason}", stacklevel=2)
            else:
                raise dlapps.errors.DataError(
                    f"{path}: {reason}. Fix or remove the file, or pass "
                    "--set skip_bad_files=true to skip it"
                )
        if not good:
            raise dlapps.errors.DataError(
                f"Genre folder '{folder.name}' has no usable WAV, FLAC or OGG file: {folder}"
            )
        paths += good
        labels += [label] * len(good)
    return [str(p) for p in paths], np.array(labels, "int32"), [f.name for f in folders]


def split_tracks(keys, labels, validation_fraction, salt=""):
    """Sends a deterministic share of each genre's tracks to validation.

    A track's side depends only on its key (its path relative to the data
    folder), so clips of one track never land on both sides, and every
    genre with at least two tracks has one in validation.

    Returns:
        A boolean NumPy array, `True` for validation tracks.
    """
    keys = list(keys)
    labels = np.asarray(labels)
    in_val = np.zeros(len(keys), bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        order = sorted(members, key=lambda i: hashlib.sha256(f"{salt}{keys[i]}".encode()).digest())
        count = min(max(1, round(validation_fraction * len(members))), len(members) - 1)
        in_val[order[:count]] = True
    return in_val
