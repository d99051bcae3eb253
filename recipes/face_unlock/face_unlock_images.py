"""Face images in a folder: one subfolder per person, checked and decoded."""

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

import dlapps

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def read_image(path, size):
    """Decodes an image file to uint8 RGB `(size, size, 3)`: grayscale is
    repeated over the channels; any size is centre-cropped to a square and
    resized, as the model does with images it is given.

    Raises:
        dlapps.errors.DataError: naming the file, when it cannot be decoded.
    """
    try:
        with Image.open(path) as image:
            return fit_square(image, size)
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise dlapps.errors.DataError(f"{path}: cannot decode image ({error})") from None


def fit_square(image, size):
    """A PIL image or an array as uint8 RGB `(size, size, 3)`: centre-cropped
    to a square and resized."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image[..., 0] if image.shape[-1:] == (1,) else image)
    return np.asarray(ImageOps.fit(image.convert("RGB"), (size, size), Image.BILINEAR), "uint8")


def decode_square(data, size):
    """TensorFlow ops for `fit_square` of encoded JPEG or PNG bytes, for
    serving: `(size, size, 3)` uint8."""
    import tensorflow as tf

    image = tf.io.decode_image(data, channels=3, expand_animations=False)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(height, width)
    image = tf.image.crop_to_bounding_box(
        image, (height - side) // 2, (width - side) // 2, side, side
    )
    image = tf.image.resize(image, (size, size), antialias=False)
    return tf.cast(tf.round(tf.clip_by_value(image, 0, 255)), tf.uint8)


def scan_person_folder(root, size, skip_bad_files=False):
    """Reads a folder with one subfolder per person.

    Args:
        root: the folder.
        size: side of the decoded square images.
        skip_bad_files: skip undecodable images with a warning instead of
            failing.

    Returns:
        `(images, labels, people)`: uint8 `(n, size, size, 3)`, person
        indices, and the people's names (subfolder names, sorted).

    Raises:
        dlapps.errors.DataError: an undecodable image, a person with fewer
            than 2 images (a genuine pair needs two), or fewer than 2 people.
    """
    root = Path(root)
    if not root.is_dir():
        raise dlapps.errors.DataError(
            f"Expected a folder with one subfolder of face images per person, not a file: {root}"
        )
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(folders) < 2:
        raise dlapps.errors.DataError(
            f"{root}: found {len(folders)} person subfolder(s); verification needs at least 2"
        )
    images, labels = [], []
    for label, folder in enumerate(folders):
        decoded = []
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        for path in files:
            try:
                decoded.append(read_image(path, size))
            except dlapps.errors.DataError as error:
                if not skip_bad_files:
                    raise dlapps.errors.DataError(
                        f"{error}. Fix or remove the file, or pass --set skip_bad_files=true "
                        "to skip it"
                    ) from None
                warnings.warn(f"Skipping {error}", stacklevel=2)
        if len(decoded) < 2:
            raise dlapps.errors.DataError(
                f"Person '{folder.name}' has {len(decoded)} usable image(s); each person needs "
                f"at least 2 (JPEG or PNG): {folder}"
            )
        images += decoded
        labels += [label] * len(decoded)
    return np.stack(images), np.array(labels, "int32"), [f.name for f in folders]
