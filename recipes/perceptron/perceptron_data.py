"""Data of the perceptron recipe: a separable synthetic task and CSV files."""

import csv

import numpy as np
import tensorflow as tf

import dlapps

# Raw feature units differ by orders of magnitude (think of a temperature in
# degrees and a pressure in hPa), so the normalization inside the model matters.
FEATURE_SCALE = np.array([1.0, 40.0], dtype="float32")
FEATURE_OFFSET = np.array([0.0, 1000.0], dtype="float32")
LABEL_COLUMN = "label"


def make_separable(num_examples, seed, margin=0.25):
    """Two classes split by a random line, with an empty band of `margin`.

    Returns:
        `(features, labels)`: float32 `(n, 2)` raw features and int `(n,)` labels.
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    offset = rng.uniform(-0.5, 0.5)
    kept = np.empty((0, 2))
    while len(kept) < num_examples:
        points = rng.uniform(-3, 3, size=(2 * num_examples, 2))
        kept = np.concatenate([kept, points[np.abs(points @ normal + offset) > margin]])
    points = kept[:num_examples]
    labels = (points @ normal + offset > 0).astype("int32")
    features = (points * FEATURE_SCALE + FEATURE_OFFSET).astype("float32")
    return features, labels


def read_csv(path):
    """Reads a CSV of two numeric feature columns and a 0/1 `label` column.

    Returns:
        `(features, labels, feature_names)`.

    Raises:
        dlapps.errors.DataError: naming the file and line of the first problem.
    """
    try:
        with open(path, newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file))
    except (OSError, UnicodeDecodeError) as error:
        raise dlapps.errors.DataError(f"{path}: unreadable CSV file ({error})") from error
    if not rows:
        raise dlapps.errors.DataError(f"{path}: empty file; expected a header line")
    header = [name.strip() for name in rows[0]]
    if LABEL_COLUMN not in header or len(header) != 3:
        raise dlapps.errors.DataError(
            f"{path} line 1: expected a header of two feature columns and '{LABEL_COLUMN}'. "
            f"Received: {','.join(header)}"
        )
    label_index = header.index(LABEL_COLUMN)
    feature_names = [name for name in header if name != LABEL_COLUMN]
    features, labels = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3:
            raise dlapps.errors.DataError(
                f"{path} line {line}: expected 3 values. Received: {','.join(row)}"
            )
        values = [cell.strip() for cell in row]
        label = values.pop(label_index)
        if label not in ("0", "1"):
            raise dlapps.errors.DataError(
                f"{path} line {line}: '{LABEL_COLUMN}' must be 0 or 1. Received: {label!r}"
            )
        try:
            features.append([float(value) for value in values])
        except ValueError:
            raise dlapps.errors.DataError(
                f"{path} line {line}: features must be numbers. Received: {','.join(values)}"
            ) from None
        labels.append(int(label))
    if len(set(labels)) < 2:
        raise dlapps.errors.DataError(f"{path}: needs examples of both labels 0 and 1")
    return np.array(features, "float32"), np.array(labels, "int32"), feature_names


def to_datasets(features, labels, batch_size, seed, validation_fraction):
    """Splits examples by row and returns batched `(train, val)` datasets."""
    in_val = np.array(
        dlapps.data.split_by_group(
            [str(i) for i in range(len(labels))], validation_fraction, salt=str(seed)
        )
    )

    def dataset(mask, shuffle):
        data = tf.data.Dataset.from_tensor_slices((features[mask], labels[mask, None]))
        if shuffle:
            data = data.shuffle(int(mask.sum()), seed=seed, reshuffle_each_iteration=True)
        return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    return dataset(~in_val, shuffle=True), dataset(in_val, shuffle=False)
