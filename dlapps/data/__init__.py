"""Data helpers shared by recipes."""

from dlapps.data.pk_batches import pk_batches
from dlapps.data.sources import class_folders, load_tfds, resolve_source
from dlapps.data.splits import split_by_group

__all__ = ["class_folders", "load_tfds", "pk_batches", "resolve_source", "split_by_group"]
