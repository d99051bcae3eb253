from dlapps.recipes.perceptron.perceptron_recipe import Perceptron, PerceptronConfig

__all__ = ["Perceptron", "PerceptronConfig"]
