"""Data helpers shared by recipes."""

from dlapps.data.pk_batches import pk_batches
from dlapps.data.sources import resolve_source
from dlapps.data.splits import split_by_group

__all__ = ["pk_batches", "resolve_source", "split_by_group"]
