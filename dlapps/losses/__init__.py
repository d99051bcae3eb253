"""Losses shared by recipes, each registered under the package "dlapps"."""

from dlapps.losses.perceptron_criterion import PerceptronCriterion

__all__ = ["PerceptronCriterion"]
