"""The recipe base class.

A recipe subclasses `Recipe`, declares its metadata and config, and implements
a handful of hooks (`build_model`, `compile_arguments`, the data loaders,
`parse_inputs`). Training, run folders, evaluation, export and explanation are
shared. This module does not import TensorFlow at import time, so listing
recipes stays fast; the heavy modules are imported by the methods that use them.
"""

from typing import ClassVar

from dlapps.config import RecipeConfig
from dlapps.errors import ConfigError, DataError


class Recipe:
    """A ready-to-train deep-learning application.

    Class attributes a recipe sets:
        name: registry name, e.g. `"perceptron"`.
        task: the kind of task, e.g. `"binary classification"`.
        summary: one line shown by `dlapps list`.
        version: bumped when saved runs stop being compatible.
        config_class: the recipe's `RecipeConfig` dataclass.
        metric_names: the keys `evaluate` returns.
        explain_methods: explanation methods the recipe supports; the first
            one is the default.
        head_layers: names of the layers that form the head; fine-tuning with
            `freeze_backbone=True` trains only these. Empty means the last layer.
        data_help / input_help: the own-data format and the CLI input format,
            shown by `dlapps info`.
        intended_use / limitations: copied into the run's model card.
        smoke_overrides: small hyperparameters for the contract test.
        tflite_signatures: the serving signatures a TFLite export holds;
            TFLite's built-in ops cannot run every signature (string
            lookups, image decoding), so a recipe may name others.

    Attributes set at run time:
        class_names: the names of the model's classes when the data defines
            them (one folder per genre); saved in the run folder.
        steps_per_epoch: optimizer updates in one epoch, set by `fit` before
            `make_optimizer` from the training pipeline's cardinality, the
            replicas and `gradient_accumulation_steps`; `None` when the
            pipeline cannot tell (an infinite or filtered one).

    Args:
        config: a full config; defaults to `config_class()`.
        init_from: a run folder to initialise weights from (fine-tuning).
        freeze_backbone: with `init_from`, train only `head_layers`.
        **overrides: hyperparameter overrides, validated against the config.

    Example:

    ```python
    recipe = dlapps.load_recipe("perceptron", epochs=3)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir="runs/p")
    print(recipe.evaluate(val))
    recipe.export("export/perceptron/1")
    ```
    """

    name: ClassVar[str] = ""
    task: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    config_class: ClassVar[type] = RecipeConfig
    metric_names: ClassVar[tuple] = ()
    explain_methods: ClassVar[tuple] = ()
    head_layers: ClassVar[tuple] = ()
    data_help: ClassVar[str] = ""
    input_help: ClassVar[str] = ""
    intended_use: ClassVar[str] = ""
    limitations: ClassVar[str] = ""
    smoke_overrides: ClassVar[dict] = {}
    tflite_signatures: ClassVar[tuple] = ("serving_default",)

    def __init__(self, config=None, *, init_from=None, freeze_backbone=False, **overrides):
        config = config if config is not None else self.config_class()
        self.config = config.replace(**overrides) if overrides else config
        if freeze_backbone and init_from is None:
            raise ConfigError(
                "freeze_backbone=True needs init_from=RUN_DIR: there is no trained "
                "backbone to freeze. Received: init_from=None"
            )
        self.init_from = init_from
        self.freeze_backbone = freeze_backbone
        self.model = None
        self.run_dir = None
        self.data_source = None
        # Names of the model's classes when they come from the data (a
        # folder per genre); saved in the run folder and restored with it.
        self.class_names = None
        self.steps_per_epoch = None

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, config={self.config!r})"

    # Hooks a recipe implements.

    def build_model(self):
        """Returns a new, uncompiled Keras model that takes raw inputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement build_model().")

    def compile_arguments(self):
        """Returns `model.compile` keyword arguments other than the optimizer
        (`loss`, `metrics`, ...)."""
        raise NotImplementedError(f"{type(self).__name__} must implement compile_arguments().")

    def adapt(self, model, train):
        """Adapts preprocessing layers (normalization, vocabularies) to `train`."""

    def load_synthetic(self):
        """Returns `(train, val)` from the recipe's deterministic generator."""
        raise NotImplementedError(f"{type(self).__name__} must implement load_synthetic().")

    def load_path(self, path):
        """Returns `(train, val)` read from a local file or folder."""
        raise DataError(
            f"Recipe '{self.name}' does not read local files. Received: source={str(path)!r}"
        )

    def load_tfds(self, dataset_name):
        """Returns `(train, val)` from a TensorFlow Datasets builder."""
        raise DataError(
            f"Recipe '{self.name}' has no TensorFlow Datasets source. "
            f"Received: source='tfds:{dataset_name}'"
        )

    def parse_inputs(self, inputs):
        """Turns CLI `INPUT` strings into a batch of raw model inputs."""
        raise NotImplementedError(f"{type(self).__name__} must implement parse_inputs().")

    def explain_options(self, method):
        """Options the recipe passes to `dlapps.explain` for `method`: where
        to explain from (`features`, a layer name), the `layout`, the default
        `target`, `class_names` or `feature_names`, and the method's own
        options (`baseline`, `penultimate_layer`, ...)."""
        return {}

    def parse_target(self, text):
        """Turns the CLI's `--target TEXT` into an explanation target: a
        class index, or a class name from the recipe's `class_names`."""
        if text.lstrip("-").isdigit():
            return int(text)
        names = list(self.explain_options(None).get("class_names") or ())
        if text in names:
            return names.index(text)
        raise ConfigError(
            f"Unknown explanation target; expected a class index or one of "
            f"{', '.join(names) or 'no names'}. Received: target={text!r}"
        )

    def calibrate(self, data):
        """Fits what is decided after training (a decision threshold, a
        temperature) on `data`, once the best weights are restored and
        before the final evaluation; saves it into `self.run_dir`."""

    def custom_objects(self):
        """Recipe-private Keras objects needed to load `model.keras`."""
        return {}

    def serving_signatures(self):
        """Returns `{name: (function, input_signature)}` for export.

        Each function takes raw inputs and returns a dict of named tensors.
        The default serves the model's output as `outputs`.
        """
        from dlapps.export import default_signatures

        return default_signatures(self.model)

    def example_inputs(self):
        """A small batch of raw inputs: used to verify exports and in tests."""
        _, val = self.load_synthetic()
        features, _ = next(iter(val))
        return features

    def signature_examples(self):
        """Example raw inputs for each serving signature, `{name: inputs}`:
        exports are verified on them. The default gives every signature
        `example_inputs()`; recipes whose signatures take different inputs
        (encoded bytes, a probe and a template) override it."""
        inputs = self.example_inputs()
        return {name: inputs for name in self.serving_signatures()}

    def example_cli_inputs(self, folder):
        """Writes example raw inputs from the synthetic data into `folder`
        (the files the CLI reads, e.g. audio clips), and returns the `INPUT`
        arguments of `dlapps predict` and `dlapps explain` for them."""
        raise NotImplementedError(f"{type(self).__name__} must implement example_cli_inputs().")

    @classmethod
    def cli_commands(cls):
        """Click commands the recipe adds to `dlapps` (e.g. `compress`).

        Import click and TensorFlow inside this method, not at module level.
        """
        return ()

    # Shared behaviour.

    def load_data(self, source="synthetic"):
        """Returns `(train, val)` `tf.data` pipelines of batched examples.

        Args:
            source: `"synthetic"` (the embedded generator), `"tfds:NAME"`, or
                the path of the user's own data in the format of `data_help`.
        """
        from dlapps.data import resolve_source

        kind, value = resolve_source(source)
        if kind == "synthetic":
            data = self.load_synthetic()
        elif kind == "tfds":
            data = self.load_tfds(value)
        else:
            data = self.load_path(value)
        self.data_source = str(source)
        return data

    def fit(self, train, val=None, *, strategy="auto", run_dir=None, callbacks=(), verbose="auto"):
        """Trains the model and writes a run folder; returns the Keras `History`.

        Args:
            train: a batched `tf.data.Dataset` of `(inputs, targets)`.
            val: an optional validation dataset, used for the best checkpoint,
                early stopping and the run's metrics.
            strategy: `"auto"`, `"one_device"`, `"mirrored"`, `"multi_worker"`,
                `"tpu"` or a `tf.distribute.Strategy`.
            run_dir: the run folder; a temporary one when `None`. An
                interrupted run in `run_dir` resumes from its last epoch.
            callbacks: extra Keras callbacks.
            verbose: passed to `model.fit`.
        """
        from dlapps.engine import fit

        return fit(
            self,
            train,
            val,
            strategy=strategy,
            run_dir=run_dir,
            callbacks=callbacks,
            verbose=verbose,
        )

    def evaluate(self, data, verbose=0):
        """Returns the recipe's metrics on `data` as `{name: float}`.

        Args:
            data: a batched `tf.data.Dataset` of `(inputs, targets)`.
            verbose: 0 for silence, `"auto"` or 1 for a progress bar.
        """
        self._require_model()
        results = self.model.evaluate(data, return_dict=True, verbose=verbose)
        return {key: float(value) for key, value in results.items()}

    def predict(self, inputs):
        """Returns one JSON-ready dict per raw input, from the serving function."""
        import numpy as np

        self._require_model()
        function, _ = self.serving_signatures()["serving_default"]
        outputs = {k: np.asarray(v) for k, v in function(inputs).items()}
        count = len(next(iter(outputs.values())))
        return [{k: v[i].tolist() for k, v in outputs.items()} for i in range(count)]

    def explain(self, inputs, method=None, target=None, sanity_check=False, **options):
        """Explains the model's decisions on `inputs`; returns an `Explanation`.

        Args:
            inputs: a batch of raw inputs, as `parse_inputs` returns them.
            method: one of `explain_methods`; the first when `None`.
            target: what to explain; the recipe's default when `None`.
            sanity_check: run the randomization check of Adebayo et al.
            **options: see `dlapps.explain`.
        """
        from dlapps.explainers import explain

        self._require_model()
        return explain(
            self, inputs, method=method, target=target, sanity_check=sanity_check, **options
        )

    def export(self, path, format="saved_model"):
        """Exports the model for serving, atomically, and verifies the export.

        Args:
            path: the export folder (`saved_model`) or file (`tflite`); it
                must not exist yet.
            format: `"saved_model"` or `"tflite"`.

        Returns:
            The path written.
        """
        from dlapps.export import export

        self._require_model()
        return export(self, path, format=format)

    def make_optimizer(self, learning_rate=None, **options):
        """The optimizer named by the config.

        Args:
            learning_rate: a value or a `keras.optimizers.schedules` schedule;
                the config's `learning_rate` when `None`. A recipe with a
                schedule overrides this method and passes it.
            **options: further optimizer arguments, e.g. `clipnorm`.
        """
        import keras

        optimizers = {
            "sgd": keras.optimizers.SGD,
            "adam": keras.optimizers.Adam,
            "rmsprop": keras.optimizers.RMSprop,
        }
        rate = self.config.learning_rate if learning_rate is None else learning_rate
        if self.config.gradient_accumulation_steps > 1:
            options.setdefault(
                "gradient_accumulation_steps", self.config.gradient_accumulation_steps
            )
        return optimizers[self.config.optimizer](learning_rate=rate, **options)

    def cosine_decay(self, steps_per_epoch=None, alpha=0.0):
        """The config's `learning_rate` decayed along a cosine to `alpha`
        times itself over all `epochs x steps_per_epoch` training steps, for
        `make_optimizer`; `steps_per_epoch` defaults to the one `fit` read
        from the training pipeline. The plain rate when it is unknown."""
        import keras

        steps_per_epoch = steps_per_epoch or self.steps_per_epoch
        if not steps_per_epoch:
            return self.config.learning_rate
        return keras.optimizers.schedules.CosineDecay(
            self.config.learning_rate, self.config.epochs * steps_per_epoch, alpha=alpha
        )

    def make_regularizer(self):
        """The L1/L2 weight decay of the config, or `None`."""
        import keras

        if self.config.l1 == 0 and self.config.l2 == 0:
            return None
        return keras.regularizers.L1L2(l1=self.config.l1, l2=self.config.l2)

    @classmethod
    def from_run(cls, run_dir):
        """Loads a trained recipe from a run folder (config and `model.keras`)."""
        from dlapps.run_folder import load_run

        return load_run(run_dir)

    def _require_model(self):
        if self.model is None:
            raise ValueError(
                f"Recipe '{self.name}' has no model yet: call fit() or load it with "
                "Recipe.from_run(run_dir) first."
            )
