"""Keras layers shared by recipes, each registered under the package "dlapps"."""

from dlapps.layers.spec_augment import SpecAugment

__all__ = ["SpecAugment"]
