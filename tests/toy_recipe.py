"""A small classifier with BatchNormalization, for fine-tuning tests."""

import dataclasses

import dlapps


@dataclasses.dataclass
class ToyConfig(dlapps.RecipeConfig):
    num_classes: int = 3
    epochs: int = 2
    batch_size: int = 32


class ToyClassifier(dlapps.Recipe):
    name = "toy_classifier"
    task = "classification"
    summary = "Dense + BatchNormalization backbone with a softmax head (tests only)"
    config_class = ToyConfig
    metric_names = ("accuracy", "loss")
    explain_methods = ("decision_boundary",)
    head_layers = ("head",)

    def build_model(self):
        import keras

        inputs = keras.Input(shape=(2,), name="features")
        x = keras.layers.Dense(8, name="dense")(inputs)
        x = keras.layers.BatchNormalization(name="bn")(x)
        x = keras.layers.Activation("relu", name="relu")(x)
        outputs = keras.layers.Dense(self.config.num_classes, name="head")(x)
        return keras.Model(inputs, outputs)

    def compile_arguments(self):
        import keras

        return {
            "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "metrics": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        }

    def load_synthetic(self):
        import numpy as np
        import tensorflow as tf

        rng = np.random.default_rng(self.config.seed)
        features = rng.normal(size=(512, 2)).astype("float32") * 3 + 5
        angles = np.arctan2(features[:, 1] - 5, features[:, 0] - 5) + np.pi
        labels = (angles / (2 * np.pi) * self.config.num_classes).astype("int32")
        labels = np.minimum(labels, self.config.num_classes - 1)
        data = tf.data.Dataset.from_tensor_slices((features, labels))
        return data.take(400).batch(32), data.skip(400).batch(32)

    @classmethod
    def cli_commands(cls):
        import click

        @click.command("toy-count")
        @click.argument("run_dir")
        def toy_count(run_dir):
            """Print the toy model's parameter count."""
            click.echo(dlapps.load_run(run_dir).model.count_params())

        return (toy_count,)

    def example_cli_inputs(self, folder):
        return ["5,5", "1,9"]

    def parse_inputs(self, inputs):
        import numpy as np

        return np.array([[float(v) for v in text.split(",")] for text in inputs], "float32")
