"""Deterministic train/validation splits."""

import hashlib


def split_by_group(groups, validation_fraction=0.2, salt=""):
    """Assigns whole groups (tracks, persons, documents) to one side.

    A group's side depends only on its key, so it is stable across runs and
    machines, and members of a group never land on both sides.

    Args:
        groups: one group key (str) per example.
        validation_fraction: the share of groups sent to validation, in (0, 1).
        salt: changes the assignment while keeping it deterministic.

    Returns:
        A list of booleans, `True` where the example belongs to validation.
    """
    if not 0 < validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must be in (0, 1). Received: "
            f"validation_fraction={validation_fraction}"
        )
    sides = {}
    for key in groups:
        if key not in sides:
            digest = hashlib.sha256(f"{salt}{key}".encode()).digest()
            sides[key] = int.from_bytes(digest[:8], "big") / 2**64 < validation_fraction
    return [sides[key] for key in groups]
