"""Face images in a folder: one subfolder per person, checked and decoded."""

import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

import dlapps

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def read_image(path, size):
    """Decodes an image file to uint8 RGB `(size, size, 3)`: Pillow decodes
    any JPEG or PNG mode (grayscale is repeated over the channels), then
    `square_image` crops and resizes it exactly as the model does with
    images it is given.

    Raises:
        dlapps.errors.DataError: naming the file, when it cannot be decoded.
    """
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), "uint8")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise dlapps.errors.DataError(f"{path}: cannot decode image ({error})") from None
    return np.asarray(square_image(pixels, size))


def square_image(image, size):
    """TensorFlow ops: a uint8 RGB image `(height, width, 3)`, centre-cropped
    to a square and resized (bilinear) to `(size, size, 3)` uint8, as the
    model's `Resizing(crop_to_aspect_ratio=True)` layer does. Training
    images go through it, so training and serving see the same pixels."""
    import tensorflow as tf

    image = tf.convert_to_tensor(image)
    if image.shape.rank == 3 and image.shape[-1] == 1:
        image = tf.image.grayscale_to_rgb(image)
    height, width = tf.shape(image)[0], tf.shape(image)[1]
    side = tf.minimum(height, width)
    image = tf.image.crop_to_bounding_box(
        image, (height - side) // 2, (width - side) // 2, side, side
    )
    image = tf.image.resize(image, (size, size))
    return tf.cast(tf.round(tf.clip_by_value(image, 0, 255)), tf.uint8)


def decode_square(data, size):
    """`square_image` of encoded JPEG or PNG bytes, for serving."""
    import tensorflow as tf

    return square_image(tf.io.decode_image(data, channels=3, expand_animations=False), size)


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
    folders = dlapps.data.class_folders(root, "person")
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
