"""Keras layers shared by recipes, each registered under the package "dlapps"."""

__all__ = []
