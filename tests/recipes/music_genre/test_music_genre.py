import json
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import soundfile
import tensorflow as tf
import tensorflow_datasets as tfds

import dlapps
from dlapps import testing
from dlapps.cli import main
from dlapps.recipes.music_genre import music_genre_audio as audio
from dlapps.recipes.music_genre import music_genre_baseline as baseline
from dlapps.recipes.music_genre.music_genre_data import track_clips
from dlapps.recipes.music_genre.music_genre_synthesis import GENRES, make_tracks

SMALL = {"width": 8, "batch_size": 8, "epochs": 1}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return testing.train_for_test("music_genre", tmp_path_factory.mktemp("genre") / "run")


def write_track(path, seconds, rate, channels, seed, subtype="PCM_16", genre=0):
    """A synthetic track of one genre, resampled by writing it at `rate`."""
    waveform = make_tracks(1, rate, seconds, seed)[0][genre]
    samples = np.stack([waveform, 0.5 * waveform], axis=1) if channels == 2 else waveform
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, rate, subtype=subtype)
    return path


@pytest.fixture(scope="module")
def music_folder(tmp_path_factory):
    """Two genres of WAV files: 44.1 kHz stereo and 22.05 kHz mono, of
    different lengths, plus a FLAC and an OGG file."""
    root = tmp_path_factory.mktemp("music")
    for label, genre in ((0, "classical"), (2, "rock")):
        for i in range(3):
            rate, channels = ((44100, 2), (22050, 1))[i % 2]
            write_track(root / genre / f"{i}.wav", 3.5 + i, rate, channels, seed=i, genre=label)
    write_track(root / "rock" / "extra.flac", 4.0, 32000, 1, seed=7, subtype="PCM_24", genre=2)
    write_track(root / "classical" / "extra.ogg", 4.0, 48000, 2, 8, subtype="VORBIS", genre=0)
    return root


def test_synthetic_tracks_are_deterministic_balanced_and_distinct():
    waveforms, labels = make_tracks(2, 8000, 3.0, seed=5)
    again, _ = make_tracks(2, 8000, 3.0, seed=5)
    other, _ = make_tracks(2, 8000, 3.0, seed=6)
    np.testing.assert_array_equal(waveforms, again)
    assert not np.allclose(waveforms, other)
    assert waveforms.shape == (2 * len(GENRES), 24000) and waveforms.dtype == np.float32
    assert np.bincount(labels).tolist() == [2] * len(GENRES)
    assert np.abs(waveforms).max() <= 1.0
    # Two tracks of one genre differ (key, tempo, sounds are drawn per track).
    assert not np.allclose(waveforms[0], waveforms[len(GENRES)])


def test_track_clips_cover_the_whole_track_and_pad_short_ones():
    track = tf.range(10, dtype=tf.float32)
    clips = track_clips(track, clip_samples=4, hop_samples=4).numpy()
    # The last clip ends at the track's end instead of dropping samples 8-9.
    np.testing.assert_array_equal(clips, [[0, 1, 2, 3], [4, 5, 6, 7], [6, 7, 8, 9]])
    short = track_clips(tf.ones(3), 4, 4).numpy()
    np.testing.assert_array_equal(short, [[1, 1, 1, 0]])
    batch = track_clips(tf.stack([track, -track]), 4, 4).numpy()
    assert batch.shape == (2, 3, 4)
    np.testing.assert_array_equal(batch[1], -clips)


def test_split_keeps_tracks_whole_and_every_genre_in_validation():
    keys = [f"{genre}/{i}.wav" for genre in "abc" for i in range(10)]
    labels = np.repeat([0, 1, 2], 10)
    in_val = audio.split_tracks(keys, labels, 0.2, salt="1")
    assert in_val.sum() == 6
    assert set(labels[in_val]) == {0, 1, 2}
    # Deterministic, and decided by the key alone (not by the order of files).
    reordered = audio.split_tracks(keys[::-1], labels[::-1], 0.2, salt="1")
    np.testing.assert_array_equal(reordered, in_val[::-1])


def test_reads_wav_flac_ogg_at_any_rate_and_downmixes(music_folder):
    paths, labels, genres = audio.scan_genre_folder(music_folder)
    assert genres == ["classical", "rock"]
    assert len(paths) == 8 and np.bincount(labels).tolist() == [4, 4]
    for path in paths:
        waveform = audio.read_audio(path, 22050)
        seconds = soundfile.info(path).duration
        assert waveform.ndim == 1 and waveform.dtype == np.float32
        assert abs(len(waveform) - seconds * 22050) <= 2, path
        assert 0.01 < np.abs(waveform).max() <= 1.0


def test_folder_trains_evaluates_predicts_explains_and_exports(music_folder, tmp_path):
    run = tmp_path / "run"
    sets = [f"--set={key}={value}" for key, value in SMALL.items() if key != "epochs"]
    assert main(["train", "music_genre", "--data", str(music_folder), "--epochs", "1",
                 "--out", str(run), *sets]) == 0  # fmt: skip
    config = json.loads((run / "config.json").read_text())
    assert config["class_names"] == ["classical", "rock"]
    assert main(["evaluate", str(run), "--json", str(tmp_path / "m.json")]) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert {"accuracy", "track_accuracy", "macro_f1"} <= set(metrics)
    assert (run / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"

    songs = [str(music_folder / "rock" / "0.wav"), str(music_folder / "classical" / "1.wav")]
    recipe = dlapps.load_run(run)
    predicted = recipe.predict(recipe.parse_inputs(songs))
    assert [set(p["probabilities"]) for p in predicted] == [{"classical", "rock"}] * 2
    assert main(["explain", str(run), *songs, "--out", str(tmp_path / "why")]) == 0
    assert (tmp_path / "why" / "gradcam.png").exists()
    assert main(["export", str(run), "--out", str(tmp_path / "export")]) == 0

    served = tf.saved_model.load(str(tmp_path / "export"))
    for waveform, prediction in zip(recipe.parse_inputs(songs), predicted, strict=True):
        output = served.signatures["serving_default"](waveform=tf.constant(waveform[None]))
        expected = [prediction["probabilities"][g] for g in ("classical", "rock")]
        np.testing.assert_allclose(output["probabilities"].numpy()[0], expected, atol=1e-5)
        assert output["genre"].numpy()[0].decode() == prediction["genre"]


def test_serving_votes_over_clips_like_evaluate(trained):
    recipe, _ = trained
    signatures = recipe.serving_signatures()
    tracks = recipe.example_inputs()
    clips = signatures["classify_clips"][0](tracks)["clip_probabilities"].numpy()
    assert clips.shape == (2, 2, len(GENRES))
    voted = signatures["serving_default"][0](tracks)["probabilities"].numpy()
    np.testing.assert_allclose(voted, clips.mean(axis=1), rtol=1e-5)
    # A clip's probabilities do not depend on the other clips in the batch.
    alone = recipe.model(
        track_clips(tracks[0], recipe.config.clip_samples, recipe.config.clip_samples)
    )
    np.testing.assert_allclose(clips[0], np.asarray(alone), atol=1e-5)


def test_evaluate_votes_per_track_and_draws_the_confusion_matrix(trained):
    recipe, val = trained
    metrics = recipe.evaluate(val)
    tracks = [(np.asarray(clips), np.asarray(labels)) for clips, labels in val]
    assert metrics["tracks"] == len(tracks)
    votes = [np.asarray(recipe.model(c)).mean(axis=0).argmax() == y[0] for c, y in tracks]
    assert metrics["track_accuracy"] == pytest.approx(np.mean(votes))
    assert (recipe.run_dir / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_explanation_is_time_by_frequency_in_seconds(trained, tmp_path):
    recipe, _ = trained
    tracks = [recipe.example_inputs()[0], recipe.example_inputs()[1][: recipe.config.clip_samples]]
    explanation = recipe.explain(tracks)
    frames = explanation.extras["frames"]
    assert frames[0] > frames[1]
    assert explanation.inputs.shape == (2, frames[0], recipe.config.mel_bins)
    assert np.all(explanation.attributions[1, frames[1] :] == 0)
    assert explanation.extras["time_step"] == pytest.approx(512 / 22050)
    assert len(explanation.extras["frequencies"]) == recipe.config.mel_bins
    assert explanation.save(tmp_path / "why.png").exists()


@pytest.mark.parametrize(
    "layout, message",
    [
        ({"rock": ["a.wav"]}, "1 genre subfolder\\(s\\); at least 2 are needed"),
        ({"rock": ["a.wav"], "jazz": []}, "Genre folder 'jazz' has no usable"),
        ({"rock": ["a.wav"], "jazz": ["b.wav", "broken.wav"]}, "broken.wav: cannot decode"),
        ({"rock": ["a.wav"], "jazz": ["b.wav", "short.wav"]}, "short.wav: shorter than 1 s"),
    ],
)
def test_bad_folders_give_one_clear_message(tmp_path, layout, message):
    for genre, names in layout.items():
        (tmp_path / genre).mkdir()
        for i, name in enumerate(names):
            if name == "broken.wav":
                (tmp_path / genre / name).write_bytes(b"RIFF\x00\x00not really a wave file")
            else:
                seconds = 0.5 if name == "short.wav" else 1.5
                write_track(tmp_path / genre / name, seconds, 8000, 1, seed=i)
    with pytest.raises(dlapps.errors.DataError, match=message):
        dlapps.load_recipe("music_genre").load_data(str(tmp_path))


def test_skip_bad_files_warns_and_goes_on(tmp_path):
    for genre in ("rock", "jazz"):
        for i in range(2):
            write_track(tmp_path / genre / f"{i}.wav", 1.5, 8000, 1, seed=i)
    (tmp_path / "jazz" / "broken.flac").write_bytes(b"fLaC garbage")
    recipe = dlapps.load_recipe("music_genre", skip_bad_files=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train, val = recipe.load_data(str(tmp_path))
    assert any("broken.flac" in str(w.message) for w in caught)
    assert sum(len(labels) for _, labels in val) >= 2


def test_cli_names_a_corrupt_file_without_a_traceback(tmp_path):
    for genre in ("rock", "jazz"):
        write_track(tmp_path / genre / "0.wav", 1.5, 8000, 1, seed=0)
    (tmp_path / "rock" / "bad.ogg").write_bytes(b"OggS but not vorbis")
    result = subprocess.run(
        [sys.executable, "-m", "dlapps", "train", "music_genre", "--data", str(tmp_path),
         "--out", str(tmp_path / "run")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "dlapps: error:" in result.stderr and "bad.ogg" in result.stderr
    assert "skip_bad_files=true" in result.stderr


def test_gtzan_from_tensorflow_datasets():
    recipe = dlapps.load_recipe("music_genre", clip_seconds=1.0, train_hop_seconds=1.0)
    with tfds.testing.mock_data(num_examples=40):
        train, val = recipe.load_data("tfds:gtzan")
        clips, labels = next(iter(train))
        tracks = list(val)
    assert recipe.class_names[:3] == ["blues", "classical", "country"]
    assert clips.shape[1] == 22050 and clips.dtype == tf.float32
    assert np.all((labels.numpy() >= 0) & (labels.numpy() < 10))
    assert 0 < len(tracks) < 40
    for _, track_labels in tracks:
        assert len(set(track_labels.numpy())) == 1


@pytest.mark.slow
def test_cnn_reaches_90_percent_of_tracks_in_5_minutes_and_beats_the_baseline(tmp_path):
    run = tmp_path / "run"
    started = time.perf_counter()
    assert main(["train", "music_genre", "--out", str(run)]) == 0
    seconds = time.perf_counter() - started
    metrics = json.loads((run / "metrics.json").read_text())
    assert seconds < 300, f"training took {seconds:.0f} s"
    assert metrics["track_accuracy"] >= 0.9, metrics

    recipe = dlapps.load_run(run)
    train, val = recipe.load_data("synthetic")
    features, labels = [], []
    for data in (train, val):
        pairs = [(c.numpy(), y.numpy()) for c, y in data]
        clips = np.concatenate([c for c, _ in pairs])
        features.append(baseline.mean_log_mel(recipe.model, clips))
        labels.append(np.concatenate([y for _, y in pairs]))
    predict = baseline.logistic_regression(features[0], labels[0], len(GENRES))
    probabilities = predict(features[1])
    sizes = [len(y) for _, y in val]
    starts = np.cumsum([0, *sizes[:-1]])
    track_votes = [
        probabilities[s : s + n].mean(axis=0).argmax() for s, n in zip(starts, sizes, strict=True)
    ]
    track_labels = [labels[1][s] for s in starts]
    baseline_track_accuracy = np.mean(np.array(track_votes) == np.array(track_labels))
    baseline_clip_accuracy = np.mean(probabilities.argmax(axis=1) == labels[1])
    print(f"CNN {metrics} in {seconds:.0f} s; mean-spectrum logistic regression: clip "
          f"{baseline_clip_accuracy:.3f}, track {baseline_track_accuracy:.3f}")  # fmt: skip
    assert metrics["track_accuracy"] - baseline_track_accuracy >= 0.2
    assert metrics["accuracy"] - baseline_clip_accuracy >= 0.2
