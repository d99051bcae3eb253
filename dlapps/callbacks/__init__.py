"""Keras callbacks shared by recipes."""

from dlapps.callbacks.best_weights_checkpoint import BestWeightsCheckpoint
from dlapps.callbacks.epoch_tensorboard import EpochTensorBoard
from dlapps.callbacks.explanation_images import ExplanationImages

__all__ = ["BestWeightsCheckpoint", "EpochTensorBoard", "ExplanationImages"]
