import numpy as np

from dlapps.recipes.image_compression.image_compression_synthesis import make_images


def test_images_are_deterministic_varied_and_have_edges_and_smooth_regions():
    images = make_images(6, 64, seed=3)
    assert images.shape == (6, 64, 64, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, make_images(6, 64, seed=3))
    assert not np.array_equal(images, make_images(6, 64, seed=4))
    gray = images.astype("float32").mean(axis=-1)
    steps = np.abs(np.diff(gray, axis=1))
    # Mostly smooth (small steps), with sharp edges somewhere in each image.
    assert np.median(steps) < 8
    assert (steps.max(axis=(1, 2)) > 40).all()
    assert len({tuple(image.reshape(-1, 3).mean(axis=0).round()) for image in images}) == 6
