"""Training patches and whole validation images, from the synthetic
generator, a folder of photographs, or TensorFlow Datasets."""

from pathlib import Path

import numpy as np

import dlapps
from dlapps.recipes.image_compression.image_compression_synthesis import make_images

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VALIDATION_SEED_OFFSET = 1_000_003


def synthetic_data(config):
    """`(train, val)`: random patches of `config.images` synthetic images,
    and `config.validation_images` whole held-out images."""
    images = make_images(config.images, config.image_size, config.seed)
    held_out = synthetic_validation_images(config)
    return patches(images, config), whole_images(list(held_out))


def synthetic_validation_images(config):
    """The held-out synthetic images, never drawn for training."""
    return make_images(
        config.validation_images, config.image_size, config.seed + VALIDATION_SEED_OFFSET
    )


def folder_data(root, config):
    """`(train, val)` from a folder of images (searched recursively); each
    file lands on one side by a hash of its path within the folder and the
    seed."""
    files = image_files(root)
    held_out = dlapps.data.split_by_group(
        [f.relative_to(root).as_posix() for f in files],
        config.validation_fraction,
        str(config.seed),
    )
    train = [f for f, side in zip(files, held_out, strict=True) if not side]
    val = [f for f, side in zip(files, held_out, strict=True) if side]
    if not train or not val:
        raise dlapps.errors.DataError(
            f"{root} holds {len(files)} image(s): too few to hold out "
            f"{config.validation_fraction:.0%} for validation and train on the rest"
        )
    return patches([read_image(f) for f in train], config), whole_images(
        [read_image(f) for f in val]
    )


def tfds_data(name, config):
    """`(train, val)` from a TFDS image set with an `image` feature: patches
    of the train split, whole images of the validation (or test) split."""
    import tensorflow as tf

    train, info = dlapps.data.load_tfds(name, ("image",), "an image set such as clic")
    held_out = "validation" if "validation" in info.splits else "test"
    val, _ = dlapps.data.load_tfds(name, ("image",), "an image set such as clic", held_out)

    def rgb(example):
        image = example["image"]
        return tf.tile(image, [1, 1, 3 // tf.shape(image)[-1]])

    parallel = tf.data.AUTOTUNE
    return (
        patches(train.map(rgb, num_parallel_calls=parallel), config, shuffle_images=64),
        whole_images(val.map(rgb, num_parallel_calls=parallel)),
    )


def image_files(root):
    """The image files under `root`, sorted; `DataError` when there are none."""
    root = Path(root)
    if root.is_file():
        raise dlapps.errors.DataError(
            f"Expected a folder of images (PNG, JPEG, ...), not a file. Received: {root}"
        )
    files = sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise dlapps.errors.DataError(
            f"{root} holds no image files (expected {', '.join(IMAGE_SUFFIXES)})"
        )
    return files


def read_image(path, keep_grayscale=False):
    """A file's pixels as uint8 `(height, width, 3)`: grayscale, palette and
    alpha images are converted to RGB, or with `keep_grayscale` grayscale
    files give `(height, width, 1)`. `DataError` names an unreadable file."""
    from PIL import Image

    try:
        with Image.open(path) as picture:
            if keep_grayscale and picture.mode in ("L", "LA", "I", "I;16", "1"):
                return np.asarray(picture.convert("L"))[..., None]
            return np.asarray(picture.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as error:
        raise dlapps.errors.DataError(f"Cannot read image {path}: {error}") from None


def patches(images, config, shuffle_images=1024):
    """Random `patch_size` crops with random flips, `patches_per_image` per
    image and epoch, shuffled, batched; targets are the patch itself (for
    the distortion) and a dummy for the rate. `shuffle_images` whole
    images are shuffled at a time: all of an in-memory set, a few of a
    stream of large photographs."""
    import tensorflow as tf

    dataset = _dataset_of(images)
    size = config.patch_size

    def crop(index, image):
        image = _at_least(image, size)
        seed = tf.stack([tf.cast(config.seed, tf.int64), index])
        patch = tf.image.stateless_random_crop(image, (size, size, 3), seed=seed)
        patch = tf.image.stateless_random_flip_left_right(patch, seed=seed + 1)
        return patch, targets(patch)

    return (
        dataset.shuffle(shuffle_images, seed=config.seed)
        .repeat(config.patches_per_image)
        .enumerate()
        .map(crop, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(config.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def whole_images(images):
    """Validation: each whole image is its own batch, as sizes differ."""
    return _dataset_of(images).map(lambda image: (image, targets(image))).batch(1)


def targets(image):
    import tensorflow as tf

    return {"reconstruction": tf.cast(image, tf.float32), "bpp": tf.zeros(())}


def _dataset_of(images):
    """A dataset of uint8 `(height, width, 3)` images from a dataset (read
    as it streams), an array, or a list of images of different sizes (both
    held in memory already)."""
    import tensorflow as tf

    if isinstance(images, tf.data.Dataset):
        return images
    if len({np.shape(image) for image in images}) == 1:
        return tf.data.Dataset.from_tensor_slices(np.stack(images))
    dataset = tf.data.Dataset.from_generator(
        lambda: iter(images), output_signature=tf.TensorSpec((None, None, 3), tf.uint8)
    )
    return dataset.apply(tf.data.experimental.assert_cardinality(len(images)))


def _at_least(image, size):
    """Repeats the edge of an image smaller than `size` up to `size`."""
    import tensorflow as tf

    for axis in (0, 1):
        length = tf.shape(image)[axis]
        indexes = tf.minimum(tf.range(tf.maximum(length, size)), length - 1)
        image = tf.gather(image, indexes, axis=axis)
    return image
