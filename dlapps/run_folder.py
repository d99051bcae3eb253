"""The run folder: everything about one training run, in one place.

```
RUN_DIR/
  config.json     recipe name and version, dlapps version, every hyperparameter,
                  the data source and the class names read from the data
  history.csv     one row per epoch
  metrics.json    the recipe's metrics on the validation data
  model.keras     the trained model (loads with safe_mode=True)
  model_card.md   data, metrics, intended use, limits
  checkpoints/    backup/ (resume after interruption), best.weights.h5
  logs/           TensorBoard
```
Files are written to a temporary name and renamed into place, so an
interrupted write never leaves a half-written file behind.
"""

import csv
import datetime
import io
import json
from pathlib import Path

from dlapps.atomic import atomic_path, atomic_write_text
from dlapps.errors import RunFolderError
from dlapps.version import __version__

CONFIG = "config.json"
HISTORY = "history.csv"
METRICS = "metrics.json"
MODEL = "model.keras"
MODEL_CARD = "model_card.md"
CHECKPOINTS = "checkpoints"
LOGS = "logs"


def atomic_write_json(path, data):
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


class RunFolder:
    """A run folder on disk.

    Args:
        path: the folder.
    """

    def __init__(self, path):
        self.path = Path(path).expanduser()

    def __truediv__(self, name):
        return self.path / name

    @property
    def backup_dir(self):
        return self.path / CHECKPOINTS / "backup"

    @property
    def best_weights(self):
        return self.path / CHECKPOINTS / "best.weights.h5"

    @property
    def is_finished(self):
        return (self.path / MODEL).exists() and not self.backup_dir.exists()

    @classmethod
    def open(cls, path):
        """Opens an existing run folder for evaluation, prediction or export."""
        run = cls(path)
        if not run.path.is_dir():
            raise RunFolderError(f"Run folder not found: {run.path}")
        if not (run.path / CONFIG).exists():
            raise RunFolderError(f"Not a dlapps run folder (no {CONFIG}): {run.path}")
        if not (run.path / MODEL).exists():
            raise RunFolderError(f"Run folder has no {MODEL} (training did not finish): {run.path}")
        return run

    @classmethod
    def prepare(cls, path, recipe):
        """Creates a run folder for training, or reopens an interrupted one.

        Raises:
            RunFolderError: the folder holds a finished run, another recipe's
                run, a run with other hyperparameters, or unrelated files.
        """
        run = cls(path)
        config_path = run.path / CONFIG
        if run.path.exists() and not run.path.is_dir():
            raise RunFolderError(f"Run folder path is a file: {run.path}")
        if config_path.exists():
            if run.is_finished:
                raise RunFolderError(
                    f"Run folder already holds a finished run; choose another --out: {run.path}"
                )
            saved = run.read_config()
            if saved["recipe"] != recipe.name or saved["config"] != recipe.config.to_dict():
                raise RunFolderError(
                    "Run folder holds an interrupted run of another recipe or with other "
                    f"hyperparameters; resume it with its own settings or choose another "
                    f"--out: {run.path}"
                )
        elif run.path.exists() and set(run.path.iterdir()) - run._empty_skeleton():
            raise RunFolderError(f"Run folder exists and is not empty: {run.path}")
        (run.path / CHECKPOINTS).mkdir(parents=True, exist_ok=True)
        (run.path / LOGS).mkdir(exist_ok=True)
        return run

    def _empty_skeleton(self):
        """The empty subfolders `prepare` creates, which a second call may find."""
        folders = [self.path / CHECKPOINTS, self.path / LOGS]
        return {f for f in folders if f.is_dir() and not any(f.iterdir())}

    def read_config(self):
        try:
            return json.loads((self.path / CONFIG).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise RunFolderError(
                f"Unreadable {CONFIG} in run folder {self.path}: {error}"
            ) from error

    def write_config(self, recipe):
        atomic_write_json(
            self.path / CONFIG,
            {
                "recipe": recipe.name,
                "recipe_version": recipe.version,
                "dlapps_version": __version__,
                "data": recipe.data_source,
                "class_names": recipe.class_names,
                "init_from": str(recipe.init_from) if recipe.init_from else None,
                "freeze_backbone": recipe.freeze_backbone,
                "config": recipe.config.to_dict(),
            },
        )

    def write_metrics(self, metrics):
        atomic_write_json(self.path / METRICS, metrics)

    def read_metrics(self):
        path = self.path / METRICS
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def read_history(self):
        """Rows of `history.csv`, one per epoch; a resumed epoch keeps its last row."""
        path = self.path / HISTORY
        if not path.exists():
            return []
        with path.open(newline="", encoding="utf-8") as file:
            rows = {row["epoch"]: row for row in csv.DictReader(file)}
        return sorted(rows.values(), key=lambda row: int(row["epoch"]))

    def tidy_history(self):
        """Rewrites `history.csv` with one row per epoch (after a resume)."""
        rows = self.read_history()
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.path / HISTORY, buffer.getvalue())

    def save_model(self, model):
        """Saves `model.keras` through a temporary file and a rename."""
        with atomic_path(self.path / MODEL) as tmp:
            model.save(tmp)

    def load_recipe(self):
        """Returns the recipe of this run with its trained model loaded."""
        import keras

        import dlapps.layers  # noqa: F401  (registers dlapps' serializables)
        import dlapps.losses  # noqa: F401
        from dlapps.registry import get_recipe_class

        saved = self.read_config()
        recipe_class = get_recipe_class(saved["recipe"])
        recipe = recipe_class(config=recipe_class.config_class.from_dict(saved["config"]))
        recipe.data_source = saved.get("data")
        recipe.class_names = saved.get("class_names")
        recipe.run_dir = self.path
        recipe.model = keras.saving.load_model(
            self.path / MODEL, custom_objects=recipe.custom_objects(), safe_mode=True
        )
        return recipe

    def write_model_card(self, recipe, metrics, evaluated_on="validation data"):
        atomic_write_text(self.path / MODEL_CARD, render_model_card(recipe, metrics, evaluated_on))


def render_model_card(recipe, metrics, evaluated_on="validation data"):
    """A model card in Markdown after Mitchell et al. 2019, from the run's facts."""
    today = datetime.date.today().isoformat()
    data = recipe.data_source or "in-memory datasets passed to fit()"
    lines = [
        f"# Model card: {recipe.name}",
        "",
        f"{recipe.summary}",
        "",
        "## Model details",
        f"- Recipe: `{recipe.name}` version {recipe.version} (dlapps {__version__})",
        f"- Task: {recipe.task}",
        f"- Trained: {today}",
    ]
    if recipe.init_from:
        frozen = " with a frozen backbone" if recipe.freeze_backbone else ""
        lines.append(f"- Fine-tuned from `{recipe.init_from}`{frozen}")
    lines += [
        "",
        "## Training data",
        f"- Source: `{data}`",
        "",
        f"## Metrics ({evaluated_on})",
        "| metric | value |",
        "| --- | --- |",
    ]
    lines += [f"| {key} | {_format(value)} |" for key, value in sorted(metrics.items())]
    lines += ["", "## Hyperparameters", "| name | value |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in recipe.config.to_dict().items()]
    lines += [
        "",
        "## Intended use",
        recipe.intended_use or "Not stated by the recipe.",
        "",
        "## Limitations",
        recipe.limitations or "Not stated by the recipe.",
        "",
    ]
    return "\n".join(lines)


def _format(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def load_run(run_dir):
    """Loads the trained recipe of a run folder (config and `model.keras`).

    Example:

    >>> recipe = dlapps.load_run("runs/perceptron")
    >>> recipe.evaluate(recipe.load_data(recipe.data_source)[1])
    """
    return RunFolder.open(run_dir).load_recipe()
