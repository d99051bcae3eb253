"""Music genre classification: a log-mel CNN that votes over a track's clips."""

import dataclasses

import dlapps


@dataclasses.dataclass
class MusicGenreConfig(dlapps.RecipeConfig):
    """Hyperparameters of the genre classifier.

    Args:
        sample_rate: the model's sample rate; files are resampled to it.
        clip_seconds: length of the clips the CNN sees; a track's genre is
            the average of its clips' probabilities.
        train_hop_seconds: training clips start this far apart (overlap).
        fft_length: STFT window, in samples.
        hop_length: STFT hop, in samples (one spectrogram frame).
        mel_bins: mel bands of the spectrogram.
        width: filters of the first residual block (then 2x and 3x).
        tracks_per_genre: synthetic tracks generated per genre.
        track_seconds: length of each synthetic track.
        validation_fraction: share of each genre's tracks held out.
        skip_bad_files: skip undecodable or too short files with a warning
            instead of failing.
        cache_audio: keep decoded tracks in memory after the first epoch;
            turn off for collections larger than memory.
    """

    learning_rate: float = 3e-3
    batch_size: int = 32
    epochs: int = 11
    dropout: float = 0.2
    sample_rate: int = 22050
    clip_seconds: float = 3.0
    train_hop_seconds: float = 1.5
    fft_length: int = 1024
    hop_length: int = 512
    mel_bins: int = 64
    width: int = 32
    tracks_per_genre: int = 60
    track_seconds: float = 9.0
    validation_fraction: float = 0.2
    skip_bad_files: bool = False
    cache_audio: bool = True

    def validate(self):
        super().validate()
        require = dlapps.config.require
        require(8000 <= self.sample_rate <= 96000, "sample_rate", self.sample_rate,
                "must be in [8000, 96000]")  # fmt: skip
        require(0.5 <= self.clip_seconds <= 30, "clip_seconds", self.clip_seconds,
                "must be in [0.5, 30]")  # fmt: skip
        require(0 < self.train_hop_seconds <= self.clip_seconds, "train_hop_seconds",
                self.train_hop_seconds, "must be in (0, clip_seconds]")  # fmt: skip
        require(self.fft_length >= 64, "fft_length", self.fft_length, "must be >= 64")
        require(0 < self.hop_length <= self.fft_length, "hop_length", self.hop_length,
                "must be in (0, fft_length]")  # fmt: skip
        require(self.mel_bins >= 16, "mel_bins", self.mel_bins, "must be >= 16")
        require(self.width >= 8, "width", self.width, "must be >= 8")
        require(self.tracks_per_genre >= 2, "tracks_per_genre", self.tracks_per_genre,
                "must be >= 2")  # fmt: skip
        require(self.track_seconds >= self.clip_seconds, "track_seconds", self.track_seconds,
                "must be >= clip_seconds")  # fmt: skip
        require(0 < self.validation_fraction < 1, "validation_fraction",
                self.validation_fraction, "must be in (0, 1)")  # fmt: skip

    @property
    def clip_samples(self):
        return int(round(self.clip_seconds * self.sample_rate))

    @property
    def hop_samples(self):
        return int(round(self.train_hop_seconds * self.sample_rate))


class MusicGenre(dlapps.Recipe):
    """Genre of a song from its sound: a compact CNN over log-mel
    spectrograms of fixed-length clips, whose probabilities are averaged
    over all clips of a track.

    Example:

    ```python
    recipe = dlapps.load_recipe("music_genre", epochs=8)
    train, val = recipe.load_data("~/music")        # one subfolder per genre
    recipe.fit(train, val, run_dir="runs/genre")
    print(recipe.evaluate(val))                     # accuracy, track_accuracy, macro_f1
    recipe.predict(recipe.parse_inputs(["song.wav"]))
    ```
    """

    name = "music_genre"
    task = "audio classification"
    summary = "Music genre CNN on log-mel spectrograms with track-level voting"
    config_class = MusicGenreConfig
    metric_names = ("accuracy", "track_accuracy", "macro_f1")
    explain_methods = ("gradcam", "gradcam++", "integrated_gradients", "occlusion", "saliency")
    head_layers = ("logits",)
    data_help = (
        "a folder with one subfolder per genre holding WAV, FLAC or OGG files (any sample "
        "rate, mono or stereo, at least 1 s); tracks are split by file. Or tfds:gtzan"
    )
    input_help = "paths of WAV, FLAC or OGG files, e.g. song.wav"
    intended_use = (
        "Tagging or sorting a music collection by genre, trained on examples of the "
        "collection's own genres."
    )
    limitations = (
        "Genres are what the training folders say they are; songs between genres get split "
        "votes. The synthetic default only imitates genre traits (tempo, drums, swing, "
        "harmony), so train on real recordings before use."
    )
    smoke_overrides = {"epochs": 1, "tracks_per_genre": 3, "track_seconds": 4.0, "width": 8}

    @property
    def genres(self):
        from dlapps.recipes.music_genre.music_genre_synthesis import GENRES

        return list(self.class_names or GENRES)

    # Model.

    def build_model(self):
        from dlapps.recipes.music_genre.music_genre_model import build_genre_cnn

        config = self.config
        return build_genre_cnn(
            num_genres=len(self.genres),
            sample_rate=config.sample_rate,
            fft_length=config.fft_length,
            hop_length=config.hop_length,
            mel_bins=config.mel_bins,
            width=config.width,
            dropout=config.dropout,
            regularizer=self.make_regularizer(),
            seed=config.seed,
        )

    def adapt(self, model, train):
        from dlapps.recipes.music_genre.music_genre_model import adapt_normalization

        adapt_normalization(model, train)

    def compile_arguments(self):
        return {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}

    # Data.

    def load_synthetic(self):
        import tensorflow as tf

        from dlapps.recipes.music_genre.music_genre_synthesis import GENRES, make_tracks

        config = self.config
        waveforms, labels = make_tracks(
            config.tracks_per_genre, config.sample_rate, config.track_seconds, config.seed
        )
        if self.model is None:
            self.class_names = None  # the generator's genres, the default
        else:
            labels = self._match_genres(GENRES, labels, "synthetic")
        in_val = self._held_out([str(i) for i in range(len(labels))], labels)

        def tracks(mask):
            return tf.data.Dataset.from_tensor_slices((waveforms[mask], labels[mask]))

        return self._datasets(tracks(~in_val), tracks(in_val))

    def load_path(self, path):
        from pathlib import Path

        from dlapps.recipes.music_genre import music_genre_audio as audio
        from dlapps.recipes.music_genre import music_genre_data as data

        config = self.config
        paths, labels, genres = audio.scan_genre_folder(path, config.skip_bad_files)
        labels = self._match_genres(genres, labels, path)
        in_val = self._held_out([str(Path(p).relative_to(path)) for p in paths], labels)

        def tracks(mask):
            chosen = [p for p, keep in zip(paths, mask, strict=True) if keep]
            decoded = data.decoded_tracks(
                chosen, labels[mask], audio.read_audio, config.sample_rate
            )
            return decoded.cache() if config.cache_audio else decoded

        return self._datasets(tracks(~in_val), tracks(in_val))

    def load_tfds(self, dataset_name):
        import soxr
        import tensorflow as tf

        from dlapps.recipes.music_genre import music_genre_data as data

        split, info = dlapps.data.load_tfds(
            dataset_name, ("audio", "label"), "an audio classification set such as gtzan"
        )
        self._match_genres(list(info.features["label"].names), None, f"tfds:{dataset_name}")
        rate = int(info.features["audio"].sample_rate or self.config.sample_rate)
        # Split by track, before decoding: the file name decides the side.
        key = "audio/filename" if "audio/filename" in info.features else None
        buckets = 1000
        threshold = int(self.config.validation_fraction * buckets)

        def in_val(example):
            name = example[key] if key else tf.strings.as_string(tf.size(example["audio"]))
            return tf.strings.to_hash_bucket_fast(name, buckets) < threshold

        def tracks(examples):
            return data.tfds_tracks(examples, self.config.sample_rate, rate, soxr.resample)

        train = tracks(split.filter(lambda example: tf.logical_not(in_val(example))))
        return self._datasets(train, tracks(split.filter(in_val)))

    def _match_genres(self, genres, labels, source):
        """Maps the data's genre names onto a trained model's; the first
        data a recipe sees names its genres."""
        import numpy as np

        if self.model is None:
            self.class_names = list(genres)
            return labels
        unknown = sorted(set(genres) - set(self.genres))
        if unknown:
            raise dlapps.errors.DataError(
                f"{source}: genres the model was not trained on: {', '.join(unknown)}. "
                f"Known genres: {', '.join(self.genres)}"
            )
        if labels is None:
            return None
        mapping = np.array([self.genres.index(g) for g in genres], "int32")
        return mapping[labels]

    def _held_out(self, keys, labels):
        """The validation tracks: a share of each genre, chosen by key."""
        from dlapps.recipes.music_genre.music_genre_audio import split_tracks

        config = self.config
        in_val = split_tracks(keys, labels, config.validation_fraction, str(config.seed))
        if not in_val.any():
            raise dlapps.errors.DataError(
                "Too few tracks to hold any out for validation: each genre needs at least 2"
            )
        return in_val

    def _datasets(self, train_tracks, val_tracks):
        from dlapps.recipes.music_genre import music_genre_data as data

        config = self.config
        train = data.training_clips(
            train_tracks,
            config.clip_samples,
            config.hop_samples,
            config.batch_size,
            config.seed,
            shuffle_buffer=2048,
        )
        val = data.validation_tracks(val_tracks, config.clip_samples, config.clip_samples)
        return train, val

    # Inference.

    def parse_inputs(self, inputs):
        """Reads audio files into a list of mono waveforms at the model's rate."""
        from pathlib import Path

        from dlapps.recipes.music_genre.music_genre_audio import read_audio

        waveforms = []
        for text in inputs:
            path = Path(text).expanduser()
            if not path.is_file():
                raise dlapps.errors.DataError(f"Audio file not found: {path}")
            waveforms.append(read_audio(path, self.config.sample_rate))
        return waveforms

    def serving_signatures(self):
        import tensorflow as tf

        from dlapps.recipes.music_genre.music_genre_data import track_clips

        model = self.model
        config = self.config
        genres = tf.constant(self.genres)

        def clip_probabilities(waveforms):
            clips = track_clips(waveforms, config.clip_samples, config.clip_samples)
            count = tf.shape(clips)[1]
            flat = tf.reshape(clips, [-1, config.clip_samples])
            probabilities = model(flat, training=False)
            return tf.reshape(probabilities, [tf.shape(waveforms)[0], count, len(self.genres)])

        def classify(waveform):
            probabilities = tf.reduce_mean(clip_probabilities(waveform), axis=1)
            return {
                "probabilities": probabilities,
                "genre": tf.gather(genres, tf.argmax(probabilities, axis=-1)),
            }

        def classify_clips(waveform):
            return {"clip_probabilities": clip_probabilities(waveform)}

        signature = [tf.TensorSpec((None, None), tf.float32, name="waveform")]
        return {
            "serving_default": (classify, signature),
            "classify_clips": (classify_clips, signature),
        }

    def predict(self, inputs):
        """Genre and probabilities of each track (a waveform of any length)."""
        import numpy as np

        self._require_model()
        function, _ = self.serving_signatures()["serving_default"]
        results = []
        for waveform in inputs:
            output = function(np.asarray(waveform, "float32")[None])
            probabilities = np.asarray(output["probabilities"])[0]
            results.append(
                {
                    "genre": self.genres[int(np.argmax(probabilities))],
                    "probabilities": {
                        g: round(float(p), 6)
                        for g, p in zip(self.genres, probabilities, strict=True)
                    },
                }
            )
        return results

    def example_inputs(self):
        """Two synthetic tracks of 1.5 clips each, so serving cuts them into
        two clips and votes."""
        from dlapps.recipes.music_genre.music_genre_synthesis import make_tracks

        config = self.config
        waveforms, _ = make_tracks(1, config.sample_rate, 1.5 * config.clip_seconds, config.seed)
        return waveforms[:2]

    def example_cli_inputs(self, folder):
        import numpy as np
        import soundfile

        from dlapps.recipes.music_genre.music_genre_synthesis import make_tracks

        folder.mkdir(parents=True, exist_ok=True)
        waveforms, labels = make_tracks(1, 44100, 5.0, self.config.seed + 1)
        paths = []
        for waveform, label in list(zip(waveforms, labels, strict=True))[:2]:
            path = folder / f"{self.genres[label]}.wav"
            stereo = np.stack([waveform, 0.8 * waveform], axis=1)
            soundfile.write(str(path), stereo, 44100, subtype="PCM_16")
            paths.append(str(path))
        return paths

    # Evaluation and explanation.

    def evaluate(self, data, verbose=0):
        """Clip accuracy, track accuracy (clip probabilities averaged per
        track) and macro F1 over tracks; writes the track confusion matrix
        to `RUN_DIR/confusion_matrix.png` when the recipe has a run folder.

        Args:
            data: batches of one track each, as `load_data` returns them
                for validation.
        """
        import numpy as np

        from dlapps.recipes.music_genre import music_genre_metrics as metrics

        self._require_model()
        clip_hits, track_true, track_pred = [], [], []
        for clips, labels in data:
            probabilities = np.asarray(self.model(clips, training=False))
            labels = np.asarray(labels)
            clip_hits.append(probabilities.argmax(axis=1) == labels)
            track_true.append(int(labels[0]))
            track_pred.append(int(probabilities.mean(axis=0).argmax()))
        if not track_true:
            raise ValueError("evaluate() received an empty dataset.")
        track_true, track_pred = np.array(track_true), np.array(track_pred)
        confusion = metrics.confusion_matrix(track_true, track_pred, len(self.genres))
        if self.run_dir is not None:
            metrics.save_confusion_matrix(
                confusion, self.genres, self.run_dir / "confusion_matrix.png"
            )
        return {
            "accuracy": float(np.mean(np.concatenate(clip_hits))),
            "track_accuracy": float(np.mean(track_true == track_pred)),
            "macro_f1": metrics.macro_f1(confusion),
            "tracks": float(len(track_true)),
        }

    def explain(self, inputs, method=None, target=None, sanity_check=False, **options):
        """Explains whole tracks; tracks of different lengths are explained
        one by one and padded to the longest for the figure."""
        from dlapps.recipes.music_genre.music_genre_explain import explain_tracks

        self._require_model()
        return explain_tracks(self, inputs, method, target, sanity_check, **options)

    def explain_options(self, method):
        import numpy as np

        from dlapps.recipes.music_genre.music_genre_model import FEATURES_LAYER, LAST_CONV

        config = self.config
        mel = self.model.get_layer("mel") if self.model is not None else None
        options = {
            "features": FEATURES_LAYER,
            "layout": "spectrogram",
            "class_names": self.genres,
            "time_step": config.hop_length / config.sample_rate,
        }
        if mel is not None:
            options["frequencies"] = _mel_centres(mel, config.mel_bins)
        if method in ("gradcam", "gradcam++", "layercam", "scorecam", "faster_scorecam"):
            options["penultimate_layer"] = LAST_CONV
        if method == "integrated_gradients":
            options["baseline"] = np.float32(-100.0)  # silence, in dB
        return options


def _mel_centres(mel_layer, bins):
    """Centre frequency (Hz) of each mel band of a Keras `MelSpectrogram`."""
    import numpy as np

    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    low, high = hz_to_mel(mel_layer.min_freq), hz_to_mel(mel_layer.max_freq)
    mels = np.linspace(low, high, bins + 2)[1:-1]
    return (700.0 * (10 ** (mels / 2595.0) - 1.0)).round(1).tolist()
