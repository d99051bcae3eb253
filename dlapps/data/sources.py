"""Data sources: parsing `synthetic`, `tfds:NAME` or a local path, and
opening TensorFlow Datasets and folders of class subfolders with errors
that name the problem."""

from pathlib import Path

from dlapps.errors import DataError


def resolve_source(source):
    """Classifies a data source string.

    Args:
        source: `"synthetic"`, `"tfds:NAME"`, or a path (`~` is expanded).

    Returns:
        `("synthetic", None)`, `("tfds", name)` or `("path", Path)`.

    Raises:
        DataError: the TFDS name is empty or the path does not exist.
    """
    text = str(source).strip()
    if text == "synthetic":
        return "synthetic", None
    if text.startswith("tfds:"):
        name = text[len("tfds:") :].strip()
        if not name:
            raise DataError(f"A TFDS source needs a dataset name. Received: source={text!r}")
        return "tfds", name
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError(f"Data path not found: {path}")
    return "path", path


def load_tfds(name, features, expected, split="train"):
    """Loads split `split` of TensorFlow Datasets builder `name`.

    Args:
        name: the builder name, e.g. `"gtzan"`.
        features: feature keys the recipe reads, e.g. `("audio", "label")`.
        expected: what kind of set the recipe expects, for the error
            message, e.g. `"an audio classification set such as gtzan"`.
        split: the split to load.

    Returns:
        `(dataset, info)`.

    Raises:
        DataError: the dataset cannot be loaded, or lacks one of `features`.
    """
    import tensorflow_datasets as tfds

    try:
        dataset, info = tfds.load(name, split=split, with_info=True)
    except Exception as error:  # TFDS raises many kinds for a missing dataset
        raise DataError(f"Cannot load TensorFlow Datasets '{name}': {error}") from None
    missing = [key for key in features if key not in info.features]
    if missing:
        raise DataError(
            f"TFDS '{name}' lacks the feature(s) {', '.join(map(repr, missing))}; expected "
            f"{expected}"
        )
    return dataset, info


def class_folders(root, kind, minimum=2):
    """The subfolders of `root`, one per class (a genre, a person), sorted;
    hidden ones are left out.

    Args:
        root: the data folder.
        kind: what a subfolder holds, for messages, e.g. `"genre"`.
        minimum: the fewest subfolders the recipe can use.

    Raises:
        DataError: `root` is a file, or has fewer than `minimum` subfolders.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"Expected a folder with one subfolder per {kind}, not a file: {root}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(folders) < minimum:
        raise DataError(
            f"{root}: found {len(folders)} {kind} subfolder(s); at least {minimum} are needed, "
            f"one per {kind}"
        )
    return folders
