"""The image_compression recipe: the codec's round trips, its command line,
its data sources, its metrics and its decoder under fuzzing."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

import dlapps
from dlapps import testing
from dlapps.cli import main
from dlapps.distributed_fit import global_steps
from dlapps.recipes.image_compression import image_compression_format as dlc
from dlapps.recipes.image_compression.image_compression_metrics import (
    bd_rate,
    jpeg_at_rate,
    jpeg_curve,
    ms_ssim_weights,
    psnr,
)

NAME = "image_compression"


@pytest.fixture(scope="module", params=["factorized", "hyperprior"])
def trained(request, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp(request.param) / "run"
    recipe, _ = testing.train_for_test(NAME, run_dir, preset=request.param)
    return recipe


def reference_reconstruction(recipe, image):
    """The Keras model's reconstruction at inference (rounded latents)."""
    rgb = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image
    output = recipe.model(rgb[None], training=False)["reconstruction"][0]
    restored = np.clip(np.round(np.asarray(output)), 0, 255).astype("uint8")
    return (
        restored.mean(axis=-1, keepdims=True).round().astype("uint8")
        if image.shape[-1] == 1
        else restored
    )


@pytest.mark.parametrize("shape", [(333, 517, 3), (37, 21, 1), (1, 1, 3), (64, 48, 3)])
def test_round_trip_of_any_size_and_grayscale(trained, shape):
    image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    data = trained.codec.compress(image)
    restored = trained.codec.decompress(data)
    assert restored.shape == shape and restored.dtype == np.uint8
    # The file decodes to what the model reconstructs (up to one level of
    # float rounding between the batched model and the codec's graphs).
    difference = np.abs(restored.astype(int) - reference_reconstruction(trained, image))
    assert difference.max() <= 1
    assert dlc.unpack(data)[:3] == (shape[2], shape[0], shape[1])


def test_file_size_matches_the_entropy_model_estimate(trained):
    """The range coder, driven by the learned tables, writes what the
    entropy model estimates, plus the header and the last word."""
    image = np.random.default_rng(1).integers(0, 256, (128, 96, 3), dtype=np.uint8)
    estimated = float(trained.model(image[None], training=False)["bpp"][0]) * 128 * 96
    payload_bits = (len(trained.codec.compress(image)) - dlc.HEADER_BYTES) * 8
    assert estimated - 1 <= payload_bits <= 1.02 * estimated + 64


def test_cli_compress_decompress_counts_every_byte(trained, tmp_path):
    pixels = np.random.default_rng(2).integers(0, 256, (333, 517), dtype=np.uint8)
    source = tmp_path / "scan.png"
    Image.fromarray(pixels).save(source)  # grayscale
    run_dir = str(trained.run_dir)
    assert main(["compress", run_dir, str(source), str(tmp_path / "scan.dlc")]) == 0
    assert main(["decompress", run_dir, str(tmp_path / "scan.dlc"), str(tmp_path / "out.png")]) == 0
    restored = Image.open(tmp_path / "out.png")
    assert restored.mode == "L" and restored.size == (517, 333)
    predicted = trained.predict([pixels[..., None]])[0]
    size = (tmp_path / "scan.dlc").stat().st_size
    assert predicted["bytes"] == size
    assert predicted["bpp"] == pytest.approx(size * 8 / (333 * 517), abs=1e-4)


def test_a_fresh_process_loads_the_run_and_predicts(trained, tmp_path):
    image = tmp_path / "photo.png"
    Image.fromarray(np.full((20, 30, 3), 90, np.uint8)).save(image)
    result = subprocess.run(
        [sys.executable, "-m", "dlapps", "predict", str(trained.run_dir), str(image)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) >= {"bytes", "bpp", "psnr"}


def test_cli_rejects_damaged_and_foreign_files_by_name(trained, tmp_path, capsys):
    image = tmp_path / "photo.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(image)
    run_dir = str(trained.run_dir)
    good = tmp_path / "photo.dlc"
    assert main(["compress", run_dir, str(image), str(good)]) == 0
    capsys.readouterr()
    truncated = tmp_path / "truncated.dlc"
    truncated.write_bytes(good.read_bytes()[:-5])
    assert main(["decompress", run_dir, str(truncated), str(tmp_path / "t.png")]) == 1
    assert "truncated.dlc is not a readable .dlc file" in capsys.readouterr().err
    assert main(["decompress", run_dir, str(image), str(tmp_path / "p.png")]) == 1
    assert "photo.png is not a readable .dlc file: it does not start with" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "t.png").exists() and not (tmp_path / "p.png").exists()


def test_a_file_from_another_model_is_refused(trained):
    channels, height, width, _, shape, words = dlc.unpack(trained.codec.compress(
        np.zeros((16, 16, 3), np.uint8)))  # fmt: skip
    foreign = dlc.pack(channels, height, width, b"\x00" * 8, shape, words)
    with pytest.raises(dlapps.errors.DataError, match="x.dlc was written by another model"):
        trained.codec.decompress(foreign, "x.dlc")


def test_fuzzed_files_give_only_the_clean_error(trained):
    """Thousands of seeded mutations and truncations, some with a repaired
    checksum so that garbage reaches the range decoder: each gives a
    `DataError` or an image of the announced size, never a crash."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    original = trained.codec.compress(image)
    channels, height, width, model_id, shape, words = dlc.unpack(original)
    outcomes = {"error": 0, "image": 0}
    for trial in range(2000):
        if trial % 4 == 0:  # garbage payload behind a valid header and checksum
            garbage = rng.integers(0, 2**32, rng.integers(0, 2 * len(words) + 2), dtype=np.uint64)
            data = dlc.pack(channels, height, width, model_id, shape, garbage.astype("uint32"))
        else:
            data = bytearray(original)
            for _ in range(rng.integers(1, 4)):
                data[rng.integers(len(data))] = rng.integers(256)
            data = bytes(data[: rng.integers(len(data) + 1)] if trial % 3 == 0 else data)
        try:
            restored = trained.codec.decompress(data, "fuzz.dlc")
        except dlapps.errors.DataError as error:
            assert str(error).startswith("fuzz.dlc ")
            outcomes["error"] += 1
        else:
            assert restored.shape == (height, width, channels)
            outcomes["image"] += 1
    assert outcomes["error"] > 1000 and sum(outcomes.values()) == 2000


def test_explanation_maps_bits_and_error(trained, tmp_path):
    images = trained.example_inputs()
    explanation = trained.explain(images)
    bits = explanation.attributions.sum(axis=-1)
    assert bits.shape == images.shape[:3] and np.all(bits >= 0)
    estimated = np.asarray(trained.model(images, training=False)["bpp"])
    np.testing.assert_allclose(bits.mean(axis=(1, 2)), estimated, rtol=1e-3)
    error = explanation.extras["error"]
    assert error.shape == images.shape[:3]
    assert explanation.save(tmp_path / "bits.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(dlapps.errors.ConfigError, match="one at a time"):
        trained.explain([images[0], images[0][:32]])


def test_evaluate_reports_file_rates_beside_jpeg(trained):
    images = trained.example_inputs()
    data = tf.data.Dataset.from_tensor_slices(images).map(lambda i: (i, 0)).batch(1)
    metrics = trained.evaluate(data)
    files = [trained.codec.compress(image) for image in images]
    expected = np.mean([len(f) * 8 / (images.shape[1] * images.shape[2]) for f in files])
    assert metrics["bpp"] == pytest.approx(expected)
    assert metrics["images"] == len(images)
    assert metrics["psnr_gain_over_jpeg"] == pytest.approx(metrics["psnr"] - metrics["jpeg_psnr"])


def test_rd_curve_writes_plot_and_bd_rate(trained, tmp_path, capsys):
    out = tmp_path / "rd"
    run_dir = str(trained.run_dir)
    assert main(["rd-curve", run_dir, "--out", str(out)]) == 0
    summary = json.loads((out / "rd.json").read_text())
    assert (out / "rd.png").read_bytes()[:4] == b"\x89PNG"
    assert len(summary["dlapps"]) == 1 and summary["bd_rate_vs_jpeg"] is None
    assert "BD-rate against JPEG: not computed" in capsys.readouterr().out


def test_bd_rate_of_a_curve_shifted_in_rate():
    rates = np.array([0.25, 0.5, 0.75, 1.0])
    quality = np.array([28.0, 31.0, 33.0, 34.5])
    assert bd_rate(rates, quality, rates * 0.8, quality) == pytest.approx(-20.0)
    assert bd_rate(rates, quality, rates, quality) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="overlap"):
        bd_rate(rates, quality, rates, quality + 10)


def test_jpeg_at_rate_interpolates_the_quality_sweep():
    image = dlapps.load_recipe(NAME, image_size=64, validation_images=1).example_inputs()[0]
    rates, psnrs, _ = jpeg_curve(image)
    middle = np.argsort(rates)[len(rates) // 2]
    assert jpeg_at_rate(image, rates[middle])["jpeg_psnr"] == pytest.approx(psnrs[middle])
    brighter = np.minimum(image.astype(int) + 1, 255)
    off_by_one = np.mean(brighter != image)
    assert psnr(image, brighter) == pytest.approx(10 * np.log10(255**2 / off_by_one))
    assert ms_ssim_weights(512) == pytest.approx((0.0448, 0.2856, 0.3001, 0.2363, 0.1333),
                                                 rel=1e-3)  # fmt: skip
    assert len(ms_ssim_weights(64)) == 3 and sum(ms_ssim_weights(64)) == pytest.approx(1.0)


def write_images(folder):
    rng = np.random.default_rng(3)
    folder.mkdir()
    for index in range(12):
        shape = (40 + 7 * index, 90 - 3 * index) + ((3,) if index % 3 else ())
        picture = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
        picture.save(folder / f"img_{index}.{'jpg' if index % 2 else 'png'}")


def test_folder_of_images_gives_patches_and_whole_images(tmp_path):
    write_images(tmp_path / "photos")
    recipe = dlapps.load_recipe(NAME, patch_size=32, batch_size=2)
    train, val = recipe.load_data(tmp_path / "photos")
    patches, targets = next(iter(train))
    assert patches.shape == (2, 32, 32, 3) and patches.dtype == tf.uint8
    np.testing.assert_array_equal(targets["reconstruction"], tf.cast(patches, tf.float32))
    whole = [images.shape for images, _ in val]
    assert whole and all(shape[0] == 1 and shape[3] == 3 for shape in whole)
    assert len({shape[1:3] for shape in whole}) == len(whole)  # each its own size
    # The cosine decay spans every step: 4 patches per image, batches of 2,
    # counted by the engine from the pipeline.
    steps = global_steps(train)
    assert steps == (12 - len(whole)) * 4 // 2 == int(train.cardinality())


def test_unreadable_image_is_named(tmp_path):
    write_images(tmp_path / "photos")
    (tmp_path / "photos" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
    recipe = dlapps.load_recipe(NAME)
    with pytest.raises(dlapps.errors.DataError, match="broken.png"):
        recipe.load_data(tmp_path / "photos")


def test_cli_train_names_an_empty_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["train", NAME, "--data", str(tmp_path / "empty")]) == 1
    assert "holds no image files" in capsys.readouterr().err


def test_clic_from_tensorflow_datasets():
    recipe = dlapps.load_recipe(NAME, patch_size=32, batch_size=2)
    with tfds.testing.mock_data(num_examples=6):
        train, val = recipe.load_data("tfds:clic")
        patches, _ = next(iter(train))
        images = [images for images, _ in val]
    assert patches.shape == (2, 32, 32, 3)
    assert images and all(i.shape[0] == 1 and i.shape[3] == 3 for i in images)


def test_ms_ssim_distortion_trains(tmp_path):
    recipe, val = testing.train_for_test(NAME, tmp_path / "run", distortion="ms_ssim", steps=2)
    history = (recipe.run_dir / "history.csv").read_text()
    assert "reconstruction_loss" in history
    assert np.isfinite(recipe.evaluate(val)["psnr"])


def test_saved_model_signatures_match_the_codec(trained, tmp_path):
    """Both presets export `encode`, `decode` (and the hyperprior's
    `decode_scales`) that reload and give what the codec's functions give."""
    exported = testing.run_export_test(trained, tmp_path / "export")
    loaded = tf.saved_model.load(str(exported))
    expected = {"serving_default", "encode", "decode"}
    if trained.config.preset == "hyperprior":
        expected.add("decode_scales")
    assert set(loaded.signatures) == expected


def test_hyperprior_trains_under_mixed_precision(tmp_path):
    recipe, val = testing.train_for_test(
        NAME, tmp_path / "run", steps=2, preset="hyperprior", precision="mixed_float16"
    )
    testing.run_evaluate_test(recipe, val)
