"""The user's own text: UTF-8 files read into units (lines or documents),
cut into training windows of tokens with their next-word targets."""

from pathlib import Path

import numpy as np

import dlapps

SUFFIXES = (".txt",)


def read_units(path, split):
    """Reads a `.txt` file or a folder of them (searched recursively).

    Args:
        path: the file or folder.
        split: `"line"`: each non-empty line is a unit (a message, a
            sentence, a paragraph); `"document"`: each file is one unit.

    Returns:
        `(units, groups)`: the texts, and for each the key that decides its
        side of the train/validation split: the line itself (so repeated
        lines stay on one side), or the file's path.

    Raises:
        DataError: no text file, a file that is not UTF-8 (named, with the
            line), or no text at all.
    """
    path = Path(path)
    files = [path] if path.is_file() else _text_files(path)
    units, groups = [], []
    for file in files:
        text = _read_utf8(file)
        if split == "document":
            if text.strip():
                units.append(text)
                groups.append(str(file.relative_to(path) if file != path else file.name))
        else:
            lines = [line.strip() for line in text.splitlines()]
            units += [line for line in lines if line]
            groups += [line for line in lines if line]
    if not units:
        raise dlapps.errors.DataError(f"No text in {path}: every file is empty")
    return units, groups


def _text_files(folder):
    files = sorted(
        file
        for file in folder.rglob("*")
        if file.is_file()
        and file.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in file.relative_to(folder).parts)
    )
    if not files:
        raise dlapps.errors.DataError(f"No .txt files in folder {folder}")
    return files


def _read_utf8(file):
    data = file.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise dlapps.errors.DataError(
            f"{file}: line {line} is not valid UTF-8 (byte {error.start}: {error.reason}); "
            "save the file as UTF-8"
        ) from None


def split_units(units, groups, fraction, seed, source):
    """Holds out a share of the units by their group; both sides must hold text."""
    in_val = dlapps.data.split_by_group(groups, fraction, str(seed))
    train = [unit for unit, held in zip(units, in_val, strict=True) if not held]
    val = [unit for unit, held in zip(units, in_val, strict=True) if held]
    if not train or not val:
        raise dlapps.errors.DataError(
            f"{source}: too little text to hold out validation text: {len(train)} units for "
            f"training and {len(val)} for validation; add lines or documents, or change "
            "validation_fraction"
        )
    return train, val


def windows(token_lists, length):
    """Cuts each unit's tokens into consecutive windows of at most `length`."""
    return [
        tokens[start : start + length]
        for tokens in token_lists
        for start in range(0, len(tokens), length)
    ]


def token_ids(token_lists, vocabulary):
    """Token ids as the model's tokenizer gives them (out of vocabulary: 1)."""
    index = {word: i for i, word in enumerate(vocabulary) if i > 2}
    return [[index.get(token, 1) for token in tokens] for tokens in token_lists]


def window_dataset(window_tokens, vocabulary, batch_size, seed=None):
    """`(text, targets)` batches: each window's tokens joined by spaces,
    which the model's tokenizer reads back into the same tokens, and the id
    of each token followed by a 0 (no target after the last token), padded
    with 0 to the longest window of the batch. Shuffled when `seed` is set."""
    import tensorflow as tf

    texts = np.array([" ".join(tokens) for tokens in window_tokens], dtype=object)
    ids = [row + [0] for row in token_ids(window_tokens, vocabulary)]
    targets = tf.RaggedTensor.from_row_lengths(
        np.concatenate(ids).astype("int32"), [len(row) for row in ids]
    )
    data = tf.data.Dataset.from_tensor_slices((texts, targets))
    if seed is not None:
        data = data.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    return (
        data.ragged_batch(batch_size)
        .map(lambda text, target: (text, target.to_tensor(0)))
        .prefetch(tf.data.AUTOTUNE)
    )
