"""Learned image compression (work in progress on this branch: the synthetic images)."""
