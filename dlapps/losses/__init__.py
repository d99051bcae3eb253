"""Losses shared by recipes, each registered under the package "dlapps"."""

from dlapps.losses.contrastive import ContrastiveLoss
from dlapps.losses.perceptron_criterion import PerceptronCriterion
from dlapps.losses.triplet_semi_hard import TripletSemiHardLoss

__all__ = ["ContrastiveLoss", "PerceptronCriterion", "TripletSemiHardLoss"]
