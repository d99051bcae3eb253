"""Next-word prediction (work in progress on this branch: the n-gram baseline)."""
