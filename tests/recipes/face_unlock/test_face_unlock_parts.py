"""The parts of face_unlock built so far: synthetic faces and verification metrics."""

import numpy as np
import pytest

from dlapps.recipes.face_unlock import face_unlock_metrics as metrics
from dlapps.recipes.face_unlock.face_unlock_synthesis import make_faces


def test_synthetic_faces_are_deterministic_and_identities_disjoint():
    images, labels = make_faces(3, 4, 32, seed=1)
    again, _ = make_faces(3, 4, 32, seed=1)
    np.testing.assert_array_equal(images, again)
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8
    assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    others, other_labels = make_faces(3, 4, 32, seed=1, first_identity=100)
    assert set(other_labels).isdisjoint(labels)
    # Two images of one person differ (pose, light, background, noise).
    assert np.abs(images[0].astype(int) - images[1]).mean() > 10


def test_metrics_on_known_scores():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3])
    genuine = np.array([True, True, False, True, False, False])
    far, tar, thresholds = metrics.roc(scores, genuine)
    np.testing.assert_allclose(far, [0, 0, 0, 1 / 3, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(tar, [0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1])
    assert metrics.roc_auc(far, tar) == pytest.approx(8 / 9)
    assert metrics.equal_error_rate(far, tar) == pytest.approx(1 / 3)
    threshold = metrics.threshold_at_far(far, thresholds, 0.0)
    assert threshold == 0.8
    assert metrics.rates_at(scores, genuine, threshold) == (0.0, pytest.approx(1 / 3))


def test_perfect_separation_has_zero_equal_error_rate():
    far, tar, _ = metrics.roc([0.9, 0.8, 0.1, 0.2], [True, True, False, False])
    assert metrics.equal_error_rate(far, tar) == 0.0
    assert metrics.roc_auc(far, tar) == 1.0


def test_pair_scores_cover_every_pair_once():
    embeddings = np.eye(3)[[0, 0, 1, 2]]
    scores, genuine = metrics.pair_scores(embeddings, [5, 5, 6, 7])
    assert len(scores) == 6 and genuine.sum() == 1
    assert scores[genuine][0] == 1.0


def test_metrics_need_both_kinds_of_pairs():
    with pytest.raises(ValueError, match="genuine and impostor"):
        metrics.roc([0.5, 0.6], [True, True])


def write_person(folder, images, mode="RGB", suffix=".jpg"):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).convert(mode).save(folder / f"{i}{suffix}")


def test_reads_a_folder_of_people_in_any_size_and_mode(tmp_path):
    from dlapps.recipes.face_unlock.face_unlock_images import scan_person_folder

    faces, _ = make_faces(2, 3, 80, seed=0)
    write_person(tmp_path / "ada", faces[:3])
    write_person(tmp_path / "bob", faces[3:], mode="L", suffix=".png")
    images, labels, people = scan_person_folder(tmp_path, 64)
    assert people == ["ada", "bob"]
    assert images.shape == (6, 64, 64, 3) and images.dtype == np.uint8
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    grey = images[3]
    assert np.array_equal(grey[..., 0], grey[..., 2])  # grayscale repeated over RGB


@pytest.mark.parametrize(
    "layout, message",
    [
        ({"ada": 3}, "at least 2"),
        ({"ada": 3, "bob": 1}, "Person 'bob' has 1 usable image"),
        ({"ada": 3, "bob": "broken"}, "broken.jpg: cannot decode image"),
    ],
)
def test_bad_person_folders_give_one_clear_message(tmp_path, layout, message):
    import dlapps
    from dlapps.recipes.face_unlock.face_unlock_images import scan_person_folder

    faces, _ = make_faces(1, 3, 32, seed=0)
    for person, content in layout.items():
        if content == "broken":
            write_person(tmp_path / person, faces[:2])
            (tmp_path / person / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
        else:
            write_person(tmp_path / person, faces[:content])
    with pytest.raises(dlapps.errors.DataError, match=message):
        scan_person_folder(tmp_path, 32)


def test_skip_bad_files_skips_unreadable_images_with_a_warning(tmp_path):
    from dlapps.recipes.face_unlock.face_unlock_images import scan_person_folder

    faces, _ = make_faces(1, 3, 32, seed=0)
    write_person(tmp_path / "ada", faces)
    write_person(tmp_path / "bob", faces[:2])
    (tmp_path / "bob" / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.warns(UserWarning, match="broken.png"):
        images, labels, _ = scan_person_folder(tmp_path, 32, skip_bad_files=True)
    assert len(images) == 5
