"""Rosenblatt's perceptron: the smallest complete dlapps recipe."""

import dataclasses

import dlapps


@dataclasses.dataclass
class PerceptronConfig(dlapps.RecipeConfig):
    """Hyperparameters of the perceptron.

    Args:
        margin: margin of the perceptron criterion; 0 is Rosenblatt's rule.
        num_examples: size of the synthetic data set.
        validation_fraction: share of rows held out for validation.
    """

    optimizer: dlapps.config.OptimizerName = "sgd"
    learning_rate: float = 0.1
    batch_size: int = 16
    epochs: int = 20
    margin: float = 0.0
    num_examples: int = 1000
    validation_fraction: float = 0.2

    def validate(self):
        super().validate()
        require = dlapps.config.require
        require(self.margin >= 0, "margin", self.margin, "must be >= 0")
        require(self.num_examples >= 10, "num_examples", self.num_examples, "must be >= 10")
        require(
            0 < self.validation_fraction < 1,
            "validation_fraction",
            self.validation_fraction,
            "must be in (0, 1)",
        )


class Perceptron(dlapps.Recipe):
    """A single thresholded unit (McCulloch-Pitts neuron) trained by the
    perceptron rule on two numeric features.

    Example:

    ```python
    recipe = dlapps.load_recipe("perceptron", epochs=5)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir="runs/perceptron")
    recipe.predict(recipe.parse_inputs(["0.5,1010"]))
    ```
    """

    name = "perceptron"
    task = "binary classification"
    summary = "Rosenblatt's perceptron: one thresholded unit on two features (reference recipe)"
    config_class = PerceptronConfig
    metric_names = ("accuracy", "precision", "recall", "f1", "mistakes")
    explain_methods = ("decision_boundary", "integrated_gradients", "occlusion", "saliency")
    head_layers = ("unit",)
    data_help = (
        "a CSV file with a header of two numeric feature columns and a 0/1 'label' "
        "column, one example per line"
    )
    input_help = "two comma-separated numbers, e.g. 0.5,1010"
    intended_use = (
        "Teaching and testing: the smallest complete recipe, for linearly separable "
        "two-feature problems."
    )
    limitations = (
        "A single linear unit: it cannot learn a decision boundary that is not a straight "
        "line (XOR, rings); the perceptron rule does not converge on non-separable data."
    )
    smoke_overrides = {"epochs": 2, "num_examples": 200}

    def build_model(self):
        from dlapps.recipes.perceptron.perceptron_model import build_perceptron

        return build_perceptron(self.config.dropout, self.make_regularizer())

    def compile_arguments(self):
        import keras

        return {
            "loss": dlapps.losses.PerceptronCriterion(margin=self.config.margin),
            "metrics": [keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
        }

    def adapt(self, model, train):
        model.get_layer("normalize").adapt(train.map(lambda features, label: features))

    def load_synthetic(self):
        from dlapps.recipes.perceptron import perceptron_data

        features, labels = perceptron_data.make_separable(
            self.config.num_examples, self.config.seed
        )
        return self._datasets(features, labels)

    def load_path(self, path):
        from dlapps.recipes.perceptron import perceptron_data

        if path.is_dir():
            raise dlapps.errors.DataError(f"Expected a CSV file, not a folder: {path}")
        features, labels, _ = perceptron_data.read_csv(path)
        return self._datasets(features, labels)

    def _datasets(self, features, labels):
        from dlapps.recipes.perceptron import perceptron_data

        config = self.config
        return perceptron_data.to_datasets(
            features, labels, config.batch_size, config.seed, config.validation_fraction
        )

    def parse_inputs(self, inputs):
        import numpy as np

        rows = []
        for text in inputs:
            try:
                row = [float(value) for value in text.split(",")]
            except ValueError:
                row = []
            if len(row) != 2:
                raise dlapps.errors.DataError(
                    f"Input must be two comma-separated numbers (x1,x2). Received: {text!r}"
                )
            rows.append(row)
        return np.array(rows, dtype="float32")

    def serving_signatures(self):
        import tensorflow as tf

        model = self.model

        def classify(features):
            score = model(features, training=False)
            return {"score": score, "label": tf.cast(score >= 0, tf.int32)}

        signature = [tf.TensorSpec((None, 2), tf.float32, name="features")]
        return {"serving_default": (classify, signature)}

    def evaluate(self, data, verbose=0):
        import numpy as np

        self._require_model()
        scores, labels = dlapps.collect_predictions(self.model, data, verbose=verbose)
        predicted = scores.ravel() >= 0
        labels = labels.ravel().astype(bool)
        true_positives = float(np.sum(labels & predicted))
        precision = true_positives / max(float(predicted.sum()), 1.0)
        recall = true_positives / max(float(labels.sum()), 1.0)
        return {
            "accuracy": float(np.mean(labels == predicted)),
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / max(precision + recall, 1e-12),
            "mistakes": float(np.sum(labels != predicted)),
        }

    def example_cli_inputs(self, folder):
        return ["0.5,1010", "-1,900", "2,980"]

    def explain_options(self, method):
        options = {"target": dlapps.explainers.OutputValue(label="score")}
        if method in ("decision_boundary", "integrated_gradients"):
            # Against the training mean, each feature's bar says how far it pushed
            # this example from an average one, and the bars sum to the score shift.
            options["baseline"] = self.model.get_layer("normalize").mean
        if method == "decision_boundary":
            options["threshold"] = 0.0
        return options
