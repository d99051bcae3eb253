"""Predictive maintenance: remaining useful life and failure risk of
machines from windows of their raw sensor readings."""

import dataclasses
import warnings
from typing import Literal

import dlapps


@dataclasses.dataclass
class PredictiveMaintenanceConfig(dlapps.RecipeConfig):
    """Hyperparameters of the remaining-useful-life network.

    Args:
        preset: `"gru"` (two recurrent layers) or `"cnn"` (1-D convolutions
            over time; trains about twice as fast, a little less accurate).
        window: cycles per input window; units with fewer cycles are padded
            by repeating their first reading.
        max_rul: the RUL target is capped here (piecewise linear: a new
            machine's remaining life cannot be read from its sensors).
        horizon: the failure head predicts failure within this many cycles.
        alert_threshold: an alert is raised when the failure probability
            reaches it; below 0.5 because a missed failure costs more than
            an early inspection.
        failure_loss_weight: weight of the failure head's cross-entropy
            beside the RUL head's squared error (in units of `max_rul`).
        filters: filters of each convolution (`cnn`).
        units: units of the recurrent layers and of the shared dense layer.
        noise: standard deviation of the Gaussian noise added to the
            normalized readings during training (augmentation).
        conditions: operating conditions to find by clustering the settings;
            0 finds how many.
        validation_fraction: share of the run-to-failure units held out.
        validation_cuts: each held-out unit is cut short at this many random
            cycles, each a test unit whose true RUL is known.
        synthetic_units: engines the synthetic default simulates.
        unit_column / time_column: the unit id and time columns of a CSV file.
        setting_columns: comma-separated operating-setting columns of a CSV
            file; `auto` takes those named `setting*` or `op_setting*`.
    """

    learning_rate: float = 2e-3
    batch_size: int = 256
    epochs: int = 6
    dropout: float = 0.3
    preset: Literal["gru", "cnn"] = "gru"
    window: int = 30
    max_rul: float = 125.0
    horizon: int = 30
    alert_threshold: float = 0.3
    failure_loss_weight: float = 0.2
    filters: int = 32
    units: int = 64
    noise: float = 0.3
    conditions: int = 0
    validation_fraction: float = 0.25
    validation_cuts: int = 5
    synthetic_units: int = 260
    unit_column: str = "unit"
    time_column: str = "cycle"
    setting_columns: str = "auto"

    def validate(self):
        super().validate()
        require = dlapps.config.require
        require(self.window >= 2, "window", self.window, "must be >= 2")
        require(self.max_rul > 0, "max_rul", self.max_rul, "must be > 0")
        require(0 < self.horizon < self.max_rul, "horizon", self.horizon,
                "must be in (0, max_rul)")  # fmt: skip
        require(0 < self.alert_threshold < 1, "alert_threshold", self.alert_threshold,
                "must be in (0, 1)")  # fmt: skip
        require(self.failure_loss_weight >= 0, "failure_loss_weight",
                self.failure_loss_weight, "must be >= 0")  # fmt: skip
        require(self.filters >= 1, "filters", self.filters, "must be >= 1")
        require(self.units >= 1, "units", self.units, "must be >= 1")
        require(self.noise >= 0, "noise", self.noise, "must be >= 0")
        require(0 <= self.conditions <= 10, "conditions", self.conditions, "must be in [0, 10]")
        require(0 < self.validation_fraction < 1, "validation_fraction",
                self.validation_fraction, "must be in (0, 1)")  # fmt: skip
        require(self.validation_cuts >= 1, "validation_cuts", self.validation_cuts, "must be >= 1")
        require(self.synthetic_units >= 4, "synthetic_units", self.synthetic_units, "must be >= 4")


class PredictiveMaintenance(dlapps.Recipe):
    """Remaining useful life (RUL) and the risk of failure within a horizon,
    from a window of a machine's raw readings (operating settings and
    sensors), normalized per operating condition inside the model.

    Example:

    ```python
    recipe = dlapps.load_recipe("predictive_maintenance")
    train, val = recipe.load_data("CMAPSSData/train_FD002.txt")
    recipe.fit(train, val, run_dir="runs/fd002")
    _, test = recipe.load_data("CMAPSSData/test_FD002.txt")   # finds RUL_FD002.txt
    print(recipe.evaluate(test))     # rmse, nasa_score, alert precision and recall
    recipe.predict(recipe.parse_inputs(["readings.csv"]))
    ```
    """

    name = "predictive_maintenance"
    task = "time-series regression and classification"
    summary = "Remaining useful life and failure risk of machines from raw sensor windows"
    config_class = PredictiveMaintenanceConfig
    metric_names = ("rmse", "nasa_score", "alert_precision", "alert_recall")
    explain_methods = ("saliency", "integrated_gradients", "smoothgrad")
    head_layers = ("life", "rul", "failure_probability")
    data_help = (
        "NASA C-MAPSS text files (train_FDxxx.txt: space-separated 'unit cycle setting1-3 "
        "s1-s21', no header, units run to failure; evaluate on test_FDxxx.txt with "
        "RUL_FDxxx.txt beside it), or a CSV file with a header: a unit column, a time column "
        "and sensor columns (--set unit_column=... time_column=... setting_columns=...)"
    )
    input_help = (
        "readings files in the training data's format, e.g. readings.csv; FILE:UNIT picks "
        "one unit. The last window of each unit is predicted"
    )
    intended_use = (
        "Scheduling maintenance of a fleet of machines of one kind, trained on run-to-failure "
        "histories of that kind of machine under its own operating conditions."
    )
    limitations = (
        "Predictions assume the failure modes and operating conditions of the training units; "
        "RUL beyond max_rul is not predicted (capped). The synthetic default only imitates "
        "turbofan degradation: train on your own run-to-failure histories before use."
    )
    # The contract test's randomization check needs a model whose map owes
    # something to its weights; after 4 steps, a GRU's gradient over time is
    # mostly its architecture's (the trained default passes the check), so
    # the smoke run uses the convolutional preset; tests/recipes covers "gru".
    smoke_overrides = {
        "preset": "cnn",
        "epochs": 1,
        "synthetic_units": 12,
        "filters": 8,
        "units": 8,
        "batch_size": 32,
        "validation_cuts": 2,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._training = None  # (fleet, windows) of the training units
        self._columns = None  # (setting names, sensor names) of the data
        self._baseline = None

    # Model.

    @property
    def setting_names(self):
        return self._layout()[0]

    @property
    def sensor_names(self):
        return self._layout()[1]

    def _layout(self):
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import NORMALIZE
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_synthesis import (
            SENSOR_NAMES,
            SETTING_NAMES,
        )

        if self.model is not None:  # the columns the model was trained on
            layer = self.model.get_layer(NORMALIZE)
            names = tuple(layer.column_names)
            return names[: layer.setting_count], names[layer.setting_count :]
        if self._columns is not None:
            return self._columns
        return SETTING_NAMES, SENSOR_NAMES

    def build_model(self):
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import (
            build_rul_network,
        )

        config = self.config
        return build_rul_network(
            window=config.window,
            setting_names=self.setting_names,
            sensor_names=self.sensor_names,
            preset=config.preset,
            filters=config.filters,
            units=config.units,
            dropout=config.dropout,
            noise=config.noise,
            max_rul=config.max_rul,
            regularizer=self.make_regularizer(),
            seed=config.seed,
        )

    def adapt(self, model, train):
        """Finds the operating conditions and per-condition sensor statistics
        on the training units (fine-tuning keeps the earlier run's)."""
        import numpy as np

        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import NORMALIZE

        layer = model.get_layer(NORMALIZE)
        if self.init_from is not None:
            earlier = dlapps.load_run(self.init_from).model.get_layer(NORMALIZE)
            config = earlier.get_config()
            for key in ("centroids", "setting_scale", "means", "stds", "constant"):
                setattr(layer, key, config[key])
            return
        if self._training is not None:
            rows = self._training[0].values
        else:  # a pipeline of the caller's: the last step of each window
            rows = np.concatenate([np.asarray(x)[:, -1] for x, _ in train.take(200)])
        layer.adapt(rows, self.config.conditions, self.config.seed)
        constant = [n for n, c in zip(self.sensor_names, layer.constant, strict=True) if c]
        if constant:
            warnings.warn(
                f"Ignoring sensors constant within every operating condition: "
                f"{', '.join(constant)} ({layer.conditions} conditions found)",
                stacklevel=2,
            )

    def compile_arguments(self):
        import keras

        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import (
            FAILURE,
            RUL,
        )

        return {
            # Failures are rare windows: class balancing weighs them as much
            # as the healthy windows, so the alert errs towards early.
            "loss": {
                RUL: "mse",
                FAILURE: keras.losses.BinaryFocalCrossentropy(
                    apply_class_balancing=True, alpha=0.75, gamma=2.0
                ),
            },
            "loss_weights": {
                RUL: 1.0 / self.config.max_rul**2,
                FAILURE: self.config.failure_loss_weight,
            },
            "metrics": {RUL: [keras.metrics.RootMeanSquaredError(name="rmse")]},
        }

    def make_optimizer(self, learning_rate=None):
        """Adam with the learning rate decayed along a cosine to 5% over all
        training steps."""
        if learning_rate is None:
            learning_rate = self.cosine_decay(alpha=0.05)
        return super().make_optimizer(learning_rate)

    def custom_objects(self):
        import keras

        from dlapps.recipes.predictive_maintenance.predictive_maintenance_layers import (
            ConditionNormalization,
        )

        return {keras.saving.get_registered_name(ConditionNormalization): ConditionNormalization}

    # Data.

    def load_synthetic(self):
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_readings as rd
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_synthesis import (
            simulate_fleet,
        )

        rows = simulate_fleet(self.config.synthetic_units, self.config.seed)
        return self._split(rd.fleet_from_rows(rows))

    def load_path(self, path):
        """A C-MAPSS test file (with its RUL file beside it) gives test data
        only; any other file gives training units and held-out units."""
        from pathlib import Path

        path = Path(path).expanduser()
        rul_file = _rul_file_of(path)
        if rul_file is not None:
            return None, self._test_data(path, rul_file)
        return self._split(self._read(path))

    def _read(self, path):
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_readings import (
            read_fleet,
        )

        config = self.config
        fleet = read_fleet(path, config.unit_column, config.time_column, config.setting_columns)
        if self.model is None and self._columns is None:
            self._columns = (tuple(fleet.setting_names), tuple(fleet.sensor_names))
        elif (tuple(fleet.setting_names), tuple(fleet.sensor_names)) != self._layout():
            raise dlapps.errors.DataError(
                f"{path}: columns {', '.join(fleet.names)} differ from the model's "
                f"{', '.join((*self.setting_names, *self.sensor_names))}"
            )
        return fleet

    def _split(self, fleet):
        """Training windows of most units; the rest held out and cut short."""
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_windows as win

        config = self.config
        in_val = dlapps.data.split_by_group(
            [str(u) for u in fleet.unit_ids], config.validation_fraction, str(config.seed)
        )
        held_out = [u for u, v in zip(fleet.unit_ids, in_val, strict=True) if v]
        kept = [u for u, v in zip(fleet.unit_ids, in_val, strict=True) if not v]
        if not held_out or not kept:
            raise dlapps.errors.DataError(
                f"{fleet.source}: {len(fleet.unit_ids)} units are too few to hold some out "
                f"for validation (validation_fraction={config.validation_fraction})"
            )
        train_fleet, val_fleet = fleet.only(kept), fleet.only(held_out)
        windows = win.all_windows(train_fleet, config.window)
        self._training, self._baseline = (train_fleet, windows), None
        train = win.window_dataset(
            train_fleet.values, windows, config.max_rul, config.horizon, config.batch_size,
            shuffle_seed=config.seed,
        )  # fmt: skip
        cuts = win.cut_windows(val_fleet, config.window, config.validation_cuts, config.seed)
        return train, self._dataset(val_fleet, cuts)

    def _test_data(self, path, rul_file):
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_readings as rd
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_windows as win

        train_file = _beside_test_file(path, "train_")
        if self.model is None:
            raise dlapps.errors.DataError(
                f"{path} is a test file of units cut short; train on the run-to-failure "
                f"units of {train_file}"
            )
        fleet = self._read(path)
        rul = rd.read_rul_file(rul_file, len(fleet.unit_ids))
        if train_file.is_file():  # the baseline trains on the published training units
            self._split(self._read(train_file))
        return self._dataset(fleet, win.last_windows(fleet, self.config.window, rul))

    def _dataset(self, fleet, windows):
        """Batches of the given windows, in order."""
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_windows as win

        config = self.config
        return win.window_dataset(
            fleet.values, windows, config.max_rul, config.horizon, config.batch_size
        )

    # Inference.

    def parse_inputs(self, inputs):
        """Reads each readings file (`FILE`, or `FILE:UNIT` for one unit)."""
        from pathlib import Path

        fleets = []
        for text in inputs:
            path, unit = Path(text).expanduser(), None
            if not path.is_file() and ":" in text:
                name, unit = text.rsplit(":", 1)
                path = Path(name).expanduser()
            fleet = self._read(path)
            if unit is not None:
                match = [u for u in fleet.unit_ids if str(u) == unit]
                if not match:
                    raise dlapps.errors.DataError(
                        f"{path} has no unit {unit!r}; its units: "
                        f"{', '.join(map(str, fleet.unit_ids[:20]))}"
                    )
                fleet = fleet.only(match)
            fleets.append(fleet)
        return fleets

    def windows_of(self, fleet):
        """The last window of each unit of `fleet`, `(units, window, columns)`."""
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_windows as win

        return win.window_readings(fleet.values, win.last_windows(fleet, self.config.window))

    def serving_signatures(self):
        import tensorflow as tf

        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import (
            FAILURE,
            RUL,
        )

        model, threshold = self.model, self.config.alert_threshold

        def assess(readings):
            outputs = model(readings, training=False)
            failure = tf.cast(outputs[FAILURE][:, 0], tf.float32)
            return {
                "rul": tf.cast(outputs[RUL][:, 0], tf.float32),
                "failure_probability": failure,
                "alert": failure >= threshold,
            }

        columns = len(self.setting_names) + len(self.sensor_names)
        signature = [tf.TensorSpec((None, self.config.window, columns), tf.float32, "readings")]
        return {"serving_default": (assess, signature)}

    def predict(self, inputs):
        """RUL, failure probability and alert per window (an array of raw
        windows), or per unit of each readings file (from `parse_inputs`)."""
        import numpy as np

        self._require_model()
        function, _ = self.serving_signatures()["serving_default"]

        def assess(windows):
            outputs = {k: np.asarray(v) for k, v in function(windows).items()}
            return [
                {
                    "rul": round(float(outputs["rul"][i]), 2),
                    "failure_probability": round(float(outputs["failure_probability"][i]), 4),
                    "alert": bool(outputs["alert"][i]),
                }
                for i in range(len(outputs["rul"]))
            ]

        if not isinstance(inputs, list):
            return assess(np.asarray(inputs, "float32"))
        results = []
        for fleet in inputs:
            units = assess(self.windows_of(fleet))
            for (unit, start, stop), result in zip(fleet.runs(), units, strict=True):
                result.update(unit=unit, cycle=float(fleet.time[stop - 1]), cycles=stop - start)
            results.append({"units": [{"unit": r.pop("unit"), **r} for r in units]})
        return results

    def example_inputs(self):
        """The last windows of three synthetic units cut short."""
        from dlapps.recipes.predictive_maintenance import predictive_maintenance_readings as rd
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_synthesis import (
            simulate_fleet,
            truncate_fleet,
        )

        rows, _ = truncate_fleet(simulate_fleet(3, self.config.seed + 1), self.config.seed)
        return self.windows_of(rd.fleet_from_rows(rows))

    def example_cli_inputs(self, folder):
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_synthesis import (
            format_cmapss,
            simulate_fleet,
            truncate_fleet,
        )

        folder.mkdir(parents=True, exist_ok=True)
        rows, _ = truncate_fleet(simulate_fleet(2, self.config.seed + 1), self.config.seed)
        path = folder / "readings.txt"
        path.write_text(format_cmapss(rows))
        return [f"{path}:1", f"{path}:2"]

    # Evaluation and explanation.

    def evaluate(self, data, verbose=0):
        """RMSE and NASA score of the RUL, and precision and recall of the
        failure alert, on the last window of each test unit; the same for
        the gradient-boosting baseline (`baseline_*`) when the training units
        are known; writes `RUN_DIR/rul_predictions.png`.

        Args:
            data: batches of `(readings, targets)` as `load_data` returns
                them for validation or test.
        """
        import numpy as np

        from dlapps.recipes.predictive_maintenance import predictive_maintenance_metrics as pm
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import (
            FAILURE,
            NORMALIZE,
            RUL,
        )

        self._require_model()
        predicted, failure, true, normalized = [], [], [], []
        normalize = self.model.get_layer(NORMALIZE)
        for readings, targets in data:
            outputs = self.model(readings, training=False)
            predicted.append(np.asarray(outputs[RUL])[:, 0])
            failure.append(np.asarray(outputs[FAILURE])[:, 0])
            true.append(np.asarray(targets[RUL])[:, 0])
            normalized.append(np.asarray(normalize(readings), "float32"))
        if not true:
            raise ValueError("evaluate() received an empty dataset.")
        predicted, failure, true = (np.concatenate(x) for x in (predicted, failure, true))
        config = self.config
        alerts = failure >= config.alert_threshold
        metrics = pm.rul_metrics(predicted, true, alerts, config.horizon)
        baseline = self.baseline()
        baseline_rul = None
        if baseline is not None:
            baseline_rul = baseline.predict(np.concatenate(normalized))
            metrics.update(
                pm.rul_metrics(
                    baseline_rul,
                    true,
                    baseline_rul <= config.horizon,
                    config.horizon,
                    prefix="baseline_",
                )  # fmt: skip
            )
            metrics["rmse_vs_baseline"] = metrics["rmse"] / max(metrics["baseline_rmse"], 1e-9)
        metrics["units"] = float(len(true))
        if self.run_dir is not None:
            pm.save_rul_figure(
                self.run_dir / "rul_predictions.png", true, predicted, baseline_rul, config.horizon
            )
        return {key: float(value) for key, value in metrics.items()}

    def baseline(self):
        """The gradient-boosting baseline, trained on the training units of
        the data last loaded; `None` when none were loaded."""
        import numpy as np

        from dlapps.recipes.predictive_maintenance import predictive_maintenance_windows as win
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_baseline import (
            GradientBoostingBaseline,
        )
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import NORMALIZE

        if self._baseline is None and self._training is not None:
            fleet, windows = self._training
            normalize = self.model.get_layer(NORMALIZE)
            normalized = np.concatenate(
                [
                    np.asarray(normalize(win.window_readings(fleet.values, part)))
                    for part in _chunks(windows, 4096)
                ]
            )
            self._baseline = GradientBoostingBaseline(self.config.max_rul, self.config.seed)
            self._baseline.fit(normalized, windows.rul)
        return self._baseline

    def explain(self, inputs, method=None, target=None, sanity_check=False, **options):
        """Explains the last window of each unit of `inputs` (readings files
        from `parse_inputs`, or an array of raw windows). Constant sensors
        get zero attribution: the model ignores them, although a gradient
        reaches the zeros that stand in for them."""
        import numpy as np

        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import NORMALIZE

        units = None
        if isinstance(inputs, list):
            units = [unit for fleet in inputs for unit, _, _ in fleet.runs()]
            inputs = np.concatenate([self.windows_of(fleet) for fleet in inputs])
        explanation = super().explain(inputs, method, target, sanity_check, **options)
        if units is not None:
            labels = zip(units, explanation.labels, strict=True)
            explanation.labels = [f"unit {unit}: {label}" for unit, label in labels]
        constant = np.array(self.model.get_layer(NORMALIZE).constant, bool)
        attributions = np.array(explanation.attributions, "float32")
        attributions[..., constant] = 0.0
        explanation.attributions = attributions
        return explanation

    def explain_options(self, method):
        from dlapps.recipes.predictive_maintenance.predictive_maintenance_model import (
            NORMALIZE,
            RUL,
        )

        options = {
            "features": NORMALIZE,
            "layout": "series",
            "target": dlapps.explainers.OutputValue(output=RUL, label="RUL"),
            "feature_names": list(self.sensor_names),
        }
        if method == "integrated_gradients":
            options["baseline"] = 0.0  # every sensor at its condition's average
        return options


def _rul_file_of(path):
    """`RUL_X.txt` beside a C-MAPSS test file `test_X.txt`; `None` for other
    files; an error when a test file lacks it."""
    if not path.name.lower().startswith("test_"):
        return None
    rul_file = _beside_test_file(path, "RUL_")
    if not rul_file.is_file():
        raise dlapps.errors.DataError(
            f"{path} looks like a C-MAPSS test file, but the true RUL file {rul_file} "
            "beside it is missing"
        )
    return rul_file


def _beside_test_file(path, prefix):
    """The C-MAPSS file of the same set beside `test_X.txt`: `train_X.txt`
    or `RUL_X.txt`."""
    return path.with_name(prefix + path.name[len("test_") :])


def _chunks(windows, size):
    import dataclasses as dc

    for start in range(0, len(windows.rows), size):
        yield dc.replace(windows, rows=windows.rows[start : start + size])
