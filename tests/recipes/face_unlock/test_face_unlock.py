import io
import json
import time

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

import dlapps
from dlapps import testing
from dlapps.cli import main
from dlapps.recipes.face_unlock import face_unlock_metrics as metrics
from dlapps.recipes.face_unlock.face_unlock_baseline import Eigenfaces
from dlapps.recipes.face_unlock.face_unlock_explain import similarity_maps
from dlapps.recipes.face_unlock.face_unlock_gallery import Gallery
from dlapps.recipes.face_unlock.face_unlock_synthesis import make_faces

# A small folder run: 6 people for training, the rest held out.
FOLDER_SETTINGS = {
    "width": 8,
    "image_size": 32,
    "embedding_dim": 16,
    "batch_size": 8,
    "images_per_person": 2,
    "steps_per_epoch": 3,
    "validation_fraction": 0.3,
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return testing.train_for_test("face_unlock", tmp_path_factory.mktemp("faces") / "run")


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory):
    """10 people x 3 images: JPEGs of mixed sizes and aspect ratios, and one
    person's images as grayscale PNGs."""
    root = tmp_path_factory.mktemp("people")
    images, labels = make_faces(10, 3, 96, seed=3)
    sizes = [(96, 96), (120, 90), (50, 64)]
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / f"person{label:02d}"
        folder.mkdir(exist_ok=True)
        picture = Image.fromarray(image).resize(sizes[index % 3])
        if label == 9:
            picture.convert("L").save(folder / f"{index}.png")
        else:
            picture.save(folder / f"{index}.jpg", quality=90)
    return root


def encode(image, kind="PNG"):
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, kind)
    return buffer.getvalue()


def test_calibrated_threshold_meets_the_target_far_and_is_saved(trained):
    recipe, val = trained
    calibration = json.loads((recipe.run_dir / "calibration.json").read_text())
    assert calibration["threshold"] == recipe.threshold
    embeddings = np.concatenate([np.asarray(recipe.model(x)) for x, _ in val])
    labels = np.concatenate([np.asarray(y) for _, y in val])
    scores, genuine = metrics.pair_scores(embeddings, labels)
    far, frr = metrics.rates_at(scores, genuine, recipe.threshold)
    assert far <= recipe.config.target_far
    assert (far, frr) == (calibration["far"], calibration["frr"])
    assert calibration["impostor_pairs"] == int((~genuine).sum())
    reloaded = dlapps.load_run(recipe.run_dir)
    assert reloaded.threshold == recipe.threshold


def test_evaluate_reports_pair_metrics_and_draws_the_roc(trained):
    recipe, val = trained
    results = testing.run_evaluate_test(recipe, val)
    assert 0 <= results["eer"] <= 1 and 0 <= results["roc_auc"] <= 1
    # 4 held-out people x 4 images: 4 x 6 genuine pairs of 120.
    assert (results["genuine_pairs"], results["impostor_pairs"]) == (24.0, 96.0)
    assert (recipe.run_dir / "roc.png").read_bytes()[:8] == testing.recipe_checks.PNG_MAGIC


def test_enroll_and_verify_compare_with_the_template(trained):
    recipe, _ = trained
    faces = recipe.example_inputs()  # person A, A, A, B
    template = recipe.enroll("ada", faces[:2])
    assert template.images == 2
    assert np.linalg.norm(template.embedding) == pytest.approx(1.0, abs=1e-6)
    score, unlocked = recipe.verify(template, faces[2])
    assert score == pytest.approx(float(recipe.embed(faces[2:3])[0] @ template.embedding), 1e-5)
    assert unlocked == (score >= recipe.threshold)
    # Any size: a larger probe is cropped and resized inside the model.
    bigger = np.asarray(Image.fromarray(faces[3]).resize((80, 80)))
    assert -1 <= recipe.verify(template, bigger)[0] <= 1
    with pytest.raises(dlapps.errors.ConfigError, match="name"):
        recipe.enroll(" ", faces[:1])


def test_saved_model_verify_and_embed_agree_with_the_recipe(trained, tmp_path):
    recipe, _ = trained
    exported = tf.saved_model.load(str(recipe.export(tmp_path / "export")))
    faces = recipe.example_inputs()
    template = recipe.enroll("ada", faces[:2])
    for probe in faces[2:]:
        served = exported.signatures["verify"](
            image=tf.constant(probe[None]), template=tf.constant(template.embedding[None])
        )
        score, unlocked = recipe.verify(template, probe)
        assert float(served["score"][0]) == pytest.approx(score, abs=1e-5)
        assert bool(served["unlocked"][0]) == unlocked
    from_bytes = exported.signatures["embed_bytes"](
        image_bytes=tf.constant([encode(face) for face in faces])
    )["embedding"]
    np.testing.assert_allclose(from_bytes, recipe.embed(faces), atol=1e-5)


def test_tflite_export_embeds_like_the_recipe(trained, tmp_path):
    recipe, _ = trained
    path = recipe.export(tmp_path / "face.tflite", format="tflite")
    interpreter = tf.lite.Interpreter(model_path=str(path))
    embed = interpreter.get_signature_runner("serving_default")
    faces = recipe.example_inputs()
    np.testing.assert_allclose(embed(image=faces)["embedding"], recipe.embed(faces), atol=1e-5)


def test_similarity_map_sums_to_the_pair_score(trained):
    recipe, _ = trained
    faces = recipe.example_inputs()
    maps, scores = similarity_maps(recipe.model, faces[0::2], faces[1::2])
    # 32x32 faces: the last convolution's 4x4 positions, finer than its 2x2 pooled cells.
    assert maps.shape == (2, 2, 4, 4)
    embeddings = recipe.embed(faces)
    expected = np.sum(embeddings[0::2] * embeddings[1::2], axis=1)
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    # Stylianou et al.: each side's map decomposes the score exactly.
    np.testing.assert_allclose(maps.sum(axis=(2, 3)), np.stack([expected] * 2, 1), atol=1e-5)


def test_explain_takes_images_two_by_two(trained):
    recipe, _ = trained
    explanation = recipe.explain(recipe.example_inputs())
    assert explanation.kind == "image_pair" and len(explanation.labels) == 2
    assert explanation.inputs.shape == (2, 2, 32, 32, 3)
    with pytest.raises(dlapps.errors.ConfigError, match="even number"):
        recipe.explain(recipe.example_inputs()[:3])


def test_gallery_round_trip_and_refusals(trained, tmp_path):
    recipe, _ = trained
    path = tmp_path / "gallery.json"
    gallery = Gallery(path, recipe.model_fingerprint())
    gallery.add(recipe.enroll("ada", recipe.example_inputs()[:2]))
    gallery.save()
    again = Gallery(path, recipe.model_fingerprint())
    np.testing.assert_allclose(again.get("ada").embedding, gallery.get("ada").embedding, 1e-6)
    with pytest.raises(dlapps.errors.DataError, match=r"'bob' is not enrolled \(enrolled: ada\)"):
        again.get("bob")
    with pytest.raises(dlapps.errors.DataError, match="enrolled with another model"):
        Gallery(path, "0123456789abcdef")
    path.write_text("{not json")
    with pytest.raises(dlapps.errors.DataError, match="gallery.json: unreadable gallery"):
        Gallery(path, recipe.model_fingerprint())


def test_folder_of_jpegs_trains_enrolls_and_verifies_through_the_cli(face_folder, tmp_path, capsys):
    run, gallery = tmp_path / "run", tmp_path / "gallery.json"
    sets = [f"--set={key}={value}" for key, value in FOLDER_SETTINGS.items()]
    assert main(["train", "face_unlock", "--data", str(face_folder), "--epochs", "1",
                 "--out", str(run), *sets]) == 0  # fmt: skip
    assert json.loads((run / "calibration.json").read_text())["threshold"] <= 1.0
    ada = sorted((face_folder / "person00").iterdir())
    capsys.readouterr()
    assert (
        main(["enroll", str(run), "ada", str(ada[0]), str(ada[1]), "--gallery", str(gallery)]) == 0
    )
    enrolled = json.loads(capsys.readouterr().out.splitlines()[0])
    assert enrolled["enrolled"] == "ada" and enrolled["images"] == 2
    status = main(["verify", str(run), "ada", str(ada[2]), "--gallery", str(gallery)])
    decision = json.loads(capsys.readouterr().out)
    assert status == (0 if decision["unlocked"] else 3)
    recipe = dlapps.load_run(run)
    template = Gallery(gallery, recipe.model_fingerprint()).get("ada")
    score, unlocked = recipe.verify(template, recipe.parse_inputs([str(ada[2])])[0])
    assert decision["score"] == pytest.approx(score, abs=1e-4)
    assert decision["unlocked"] == unlocked
    # The exported verify signature agrees with recipe.verify on the raw JPEG.
    exported = tf.saved_model.load(str(recipe.export(tmp_path / "export")))
    raw = np.asarray(Image.open(ada[2]).convert("RGB"))
    served = exported.signatures["verify"](
        image=tf.constant(raw[None]), template=tf.constant(template.embedding[None])
    )
    assert float(served["score"][0]) == pytest.approx(recipe.verify(template, raw)[0], abs=1e-5)
    assert bool(served["unlocked"][0]) == recipe.verify(template, raw)[1]


def test_cli_verify_names_an_unknown_person_and_a_missing_gallery(trained, tmp_path, capsys):
    recipe, _ = trained
    face = tmp_path / "face.png"
    Image.fromarray(recipe.example_inputs()[0]).save(face)
    gallery = tmp_path / "g.json"
    run = str(recipe.run_dir)
    assert main(["verify", run, "ada", str(face), "--gallery", str(gallery)]) == 1
    assert "Gallery not found" in capsys.readouterr().err
    perceptron = testing.train_for_test("perceptron", tmp_path / "perceptron")[0].run_dir
    assert main(["enroll", str(perceptron), "ada", str(face), "--gallery", str(gallery)]) == 1
    assert "not a face_unlock run" in capsys.readouterr().err
    assert main(["enroll", run, "ada", str(face), "--gallery", str(gallery)]) == 0
    assert main(["verify", run, "bob", str(face), "--gallery", str(gallery)]) == 1
    assert "'bob' is not enrolled (enrolled: ada)" in capsys.readouterr().err
    assert main(["verify", run, "ada", str(tmp_path / "none.jpg"), "--gallery", str(gallery)]) == 1
    assert "Image file not found" in capsys.readouterr().err


def test_folder_split_is_by_person(face_folder):
    recipe = dlapps.load_recipe("face_unlock", **FOLDER_SETTINGS)
    train, val = recipe.load_data(str(face_folder))
    train_people = {int(label) for _, labels in train for label in labels.numpy()}
    val_labels = np.concatenate([labels.numpy() for _, labels in val])
    assert train_people.isdisjoint(val_labels)
    assert len(val_labels) == 3 * len(set(val_labels))  # every image of a held-out person
    images, labels = next(iter(train))
    assert images.shape == (8, 32, 32, 3) and images.dtype == tf.uint8
    assert np.bincount(labels.numpy()).max() == 2  # P x K = 4 x 2


def test_lfw_from_tensorflow_datasets():
    names = [f"Person_{i % 12}" for i in range(48)]  # 4 images each

    def as_dataset(self, *args, **kwargs):
        rng = np.random.default_rng(0)
        images = rng.integers(0, 255, (len(names), 250, 250, 3), dtype="uint8")
        return tf.data.Dataset.from_tensor_slices({"image": images, "label": names})

    recipe = dlapps.load_recipe("face_unlock", **FOLDER_SETTINGS)
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        train, val = recipe.load_data("tfds:lfw")
    images, labels = next(iter(train))
    assert images.shape == (8, 32, 32, 3)
    val_labels = np.concatenate([labels.numpy() for _, labels in val])
    assert len(val_labels) == 4 * len(set(val_labels)) and len(set(val_labels)) >= 2


def test_contrastive_option_trains(tmp_path):
    recipe, val = testing.train_for_test("face_unlock", tmp_path / "run", loss="contrastive")
    assert isinstance(recipe.model.loss, dlapps.losses.ContrastiveLoss)
    assert np.isfinite(recipe.evaluate(val)["eer"])


def test_config_rejects_batches_of_one_person():
    with pytest.raises(dlapps.errors.ConfigError, match="Received: batch_size=4"):
        dlapps.load_recipe("face_unlock", batch_size=4, images_per_person=4)


def test_eigenfaces_embeddings_are_unit_length_and_separate_people():
    images, labels = make_faces(6, 6, 32, seed=0)
    embeddings = Eigenfaces(16).fit(images).embed(images)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-9)
    scores, genuine = metrics.pair_scores(embeddings, labels)
    assert scores[genuine].mean() > scores[~genuine].mean()


@pytest.mark.slow
def test_eer_under_5_percent_on_unseen_people_in_10_minutes_and_beats_eigenfaces(tmp_path):
    run = tmp_path / "run"
    started = time.perf_counter()
    assert main(["train", "face_unlock", "--out", str(run)]) == 0
    minutes = (time.perf_counter() - started) / 60
    eer = json.loads((run / "metrics.json").read_text())["eer"]
    # The baseline on the same pairs: the run's held-out people.
    recipe = dlapps.load_run(run)
    config = recipe.config
    _, val = recipe.load_data("synthetic")
    val_images = np.concatenate([images.numpy() for images, _ in val])
    val_labels = np.concatenate([labels.numpy() for _, labels in val])
    assert len(set(val_labels)) >= 20
    train_images, _ = make_faces(config.identities, config.images_per_identity,
                                 config.image_size, config.seed)  # fmt: skip
    baseline = Eigenfaces(64).fit(train_images).embed(val_images)
    far, tar, _ = metrics.roc(*metrics.pair_scores(baseline, val_labels))
    baseline_eer = metrics.equal_error_rate(far, tar)
    print(f"\nface_unlock: EER {eer:.4f} on {len(set(val_labels))} unseen people in "
          f"{minutes:.1f} min; eigenfaces + cosine EER {baseline_eer:.4f}")  # fmt: skip
    assert eer <= 0.05 and minutes < 10
    assert eer < baseline_eer


def test_training_images_are_cropped_and_resized_as_the_model_does_when_served(trained, tmp_path):
    import keras

    from dlapps.recipes.face_unlock.face_unlock_images import read_image

    recipe, _ = trained
    raw = np.asarray(Image.fromarray(make_faces(1, 1, 96, seed=5)[0][0]).resize((120, 90)))
    Image.fromarray(raw).save(tmp_path / "wide.png")
    resized = keras.Model(recipe.model.input, recipe.model.get_layer("resize").output)
    served = np.asarray(resized(raw[None]))[0]  # in [-1, 1]
    read = read_image(tmp_path / "wide.png", recipe.config.image_size) / 127.5 - 1.0
    assert read.shape == served.shape
    assert np.abs(read - served).max() <= 0.5 / 127.5 + 1e-6  # uint8 rounding only


def test_evaluate_names_data_without_both_kinds_of_pairs(trained):
    recipe, _ = trained
    faces = recipe.example_inputs()
    one_person = tf.data.Dataset.from_tensor_slices((faces[:3], [0, 0, 0])).batch(3)
    with pytest.raises(dlapps.errors.DataError, match="Received: 3 images of 1 people"):
        recipe.evaluate(one_person)
    with pytest.raises(dlapps.errors.DataError, match="Received: 0 images"):
        recipe.evaluate(one_person.take(0))


@pytest.mark.parametrize("eer_threshold, warned", [(1.5, 2), (-1.5, 0)])
def test_cli_enroll_warns_about_images_below_the_equal_error_threshold(
    trained, tmp_path, capsys, eer_threshold, warned
):
    import shutil

    recipe, _ = trained
    run = tmp_path / "run"
    shutil.copytree(recipe.run_dir, run)
    calibration = json.loads((run / "calibration.json").read_text())
    calibration["eer_threshold"] = eer_threshold
    (run / "calibration.json").write_text(json.dumps(calibration))
    paths = []
    for index, face in enumerate(recipe.example_inputs()[:2]):
        paths.append(str(tmp_path / f"{index}.png"))
        Image.fromarray(face).save(paths[-1])
    assert main(["enroll", str(run), "ada", *paths, "--gallery", str(tmp_path / "g.json")]) == 0
    assert capsys.readouterr().err.count("looks more like someone else") == warned
