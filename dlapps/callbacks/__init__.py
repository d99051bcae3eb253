"""Keras callbacks shared by recipes."""

from dlapps.callbacks.best_weights_checkpoint import BestWeightsCheckpoint

__all__ = ["BestWeightsCheckpoint"]
