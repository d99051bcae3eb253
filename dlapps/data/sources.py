"""Parsing of data source strings: `synthetic`, `tfds:NAME` or a local path."""

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
