"""The `dlapps` command line.

User errors end with one line on stderr and a non-zero exit; set
`DLAPPS_DEBUG=1` to see the traceback instead. TensorFlow is imported only by
the commands that train or load models, so `dlapps list` answers quickly.
"""

import datetime
import json
import os
import sys
import warnings
from pathlib import Path

import click

from dlapps.config import type_name
from dlapps.distribute import STRATEGIES, chief_in_tf_config
from dlapps.errors import DlappsError
from dlapps.registry import RecipePluginWarning, get_recipe_class, iter_recipe_classes
from dlapps.version import __version__

EXIT_USER_ERROR = 1


class RecipeCommands(click.Group):
    """The built-in commands plus those recipes add through `Recipe.cli_commands`."""

    def _recipe_commands(self):
        commands = {}
        for _, recipe_class in iter_recipe_classes():
            for command in recipe_class.cli_commands():
                if command.name in self.commands or command.name in commands:
                    raise DlappsError(
                        f"Recipe '{recipe_class.name}' adds a command whose name is taken. "
                        f"Received: command={command.name!r}"
                    )
                commands[command.name] = command
        return commands

    def list_commands(self, ctx):
        return sorted(self.commands) + sorted(self._recipe_commands())

    def get_command(self, ctx, name):
        return self.commands.get(name) or self._recipe_commands().get(name)


@click.group(cls=RecipeCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dlapps")
def cli():
    """dlapps: ready-to-train deep-learning applications on TensorFlow and Keras."""


@cli.command("list")
@click.argument("pattern", required=False)
def list_command(pattern):
    """List recipes, optionally those matching an fnmatch PATTERN."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecipePluginWarning)
        rows = [(name, cls.task, cls.summary) for name, cls in iter_recipe_classes(pattern)]
    for warning in caught:
        click.echo(f"dlapps: warning: {warning.message}", err=True)
    if not rows:
        raise DlappsError(f"No recipe matches. Received: pattern={pattern!r}")
    width = max(len(name) for name, _, _ in rows)
    for name, task, summary in rows:
        click.echo(f"{name:<{width}}  {summary} [{task}]")


@cli.command()
@click.argument("name")
def info(name):
    """Show a recipe: task, data formats, metrics and hyperparameters."""
    recipe_class = get_recipe_class(name)
    defaults = recipe_class.config_class()
    lines = [
        f"{recipe_class.name} (version {recipe_class.version}): {recipe_class.summary}",
        f"task:      {recipe_class.task}",
        "data:      synthetic (default, embedded generator)",
    ]
    if recipe_class.data_help:
        lines.append(f"           PATH: {recipe_class.data_help}")
    lines += [
        f"inputs:    {recipe_class.input_help or '-'}",
        f"metrics:   {', '.join(recipe_class.metric_names) or '-'}",
        f"explain:   {', '.join(recipe_class.explain_methods) or '-'}",
    ]
    for command in recipe_class.cli_commands():
        usage = command.collect_usage_pieces(click.Context(command, info_name=command.name))
        lines.append(f"command:   dlapps {command.name} {' '.join(usage)}")
        lines.append(f"             {command.get_short_help_str(limit=80)}")
    lines.append("hyperparameters (--set KEY=VALUE), with default and type:")
    kinds = recipe_class.config_class.field_types()
    width = max(len(key) for key in kinds)
    for key, kind in kinds.items():
        lines.append(f"  {key:<{width}} {getattr(defaults, key)!r:<10} {type_name(kind)}")
    click.echo("\n".join(lines))


@cli.command()
@click.argument("name")
@click.option(
    "--data",
    "source",
    default="synthetic",
    show_default=True,
    help="synthetic, tfds:NAME, or a path to your own data.",
)
@click.option("--epochs", help="Shorthand for --set epochs=N.")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a hyperparameter; repeatable.",
)
@click.option("--strategy", type=click.Choice(STRATEGIES), default="auto", show_default=True)
@click.option(
    "--init-from",
    type=click.Path(path_type=Path),
    help="Fine-tune from the model of an earlier run folder.",
)
@click.option("--freeze-backbone", is_flag=True, help="With --init-from, train only the head.")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Run folder [default: runs/NAME-TIMESTAMP]."
)
def train(name, source, epochs, assignments, strategy, init_from, freeze_backbone, out):
    """Train recipe NAME and write a run folder."""
    from dlapps.data import resolve_source
    from dlapps.run_folder import RunFolder

    recipe_class = get_recipe_class(name)
    if epochs is not None:
        assignments += (f"epochs={epochs}",)
    config = recipe_class.config_class().replace_from_strings(assignments)
    if freeze_backbone and init_from is None:
        raise click.UsageError("--freeze-backbone needs --init-from RUN_DIR.")
    if init_from is not None:
        RunFolder.open(init_from)
    out = out or _default_run_dir(name)
    recipe = recipe_class(config=config, init_from=init_from, freeze_backbone=freeze_backbone)
    resolve_source(source)  # fail on a bad source or run folder before loading data
    # Under multi-worker training only the chief writes the run folder.
    chief = strategy != "multi_worker" or chief_in_tf_config()
    if chief:
        RunFolder.prepare(out, recipe)
    if strategy == "multi_worker":
        from dlapps.distribute import resolve_strategy

        strategy = resolve_strategy(strategy)  # before any other TensorFlow call

    train_data, val_data = recipe.load_data(source)
    recipe.fit(train_data, val_data, strategy=strategy, run_dir=out)
    if not chief:
        click.echo(f"Worker done; the chief writes the run folder: {out}")
        return
    _echo_metrics(RunFolder(out).read_metrics())
    click.echo(f"Run folder: {out}")


def _default_run_dir(name):
    return Path("runs") / f"{name}-{datetime.datetime.now():%Y%m%d-%H%M%S}"


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "--workers", type=click.IntRange(min=1), required=True, help="Worker processes to start."
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def launch(workers, command):
    """Train on a local cluster of WORKERS processes.

    `dlapps launch --workers N -- train NAME [OPTIONS]` runs `dlapps train`
    in N processes, each with its TF_CONFIG, under strategy multi_worker.
    Output is prefixed by worker; when a worker dies the others are stopped,
    and rerunning the command with the same --out resumes from the last
    backup.
    """
    from dlapps.launch import launch as run_cluster

    command = list(command)
    if command[0] != "train" or len(command) < 2 or command[1].startswith("-"):
        raise click.UsageError(
            f"launch runs 'train NAME [OPTIONS]'. Received: {' '.join(command)!r}"
        )
    strategy = _option_value(command, "--strategy")
    if strategy is None:
        command += ["--strategy", "multi_worker"]
    elif strategy != "multi_worker":
        raise click.UsageError(
            f"launch trains with --strategy multi_worker. Received: --strategy {strategy}"
        )
    if _option_value(command, "--out") is None:
        # Chosen once here: every worker must name the same run folder.
        command += ["--out", str(_default_run_dir(command[1]))]
    status = run_cluster(workers, [sys.executable, "-m", "dlapps", *command])
    if status:
        raise click.exceptions.Exit(status)


def _option_value(argv, option):
    """The value of `--option VALUE` or `--option=VALUE` in `argv`, or None."""
    for index, word in enumerate(argv):
        if word == option and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(option + "="):
            return word.partition("=")[2]
    return None


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--data", "source", help="Data to evaluate on [default: the run's own].")
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    help="Also write the metrics to this JSON file.",
)
def evaluate(run_dir, source, json_path):
    """Evaluate the model of RUN_DIR with the recipe's own metrics."""
    from dlapps.run_folder import atomic_write_json, load_run

    recipe = load_run(run_dir)
    _, val_data = recipe.load_data(source or recipe.data_source or "synthetic")
    metrics = recipe.evaluate(val_data, verbose="auto")
    _echo_metrics(metrics)
    if json_path is not None:
        atomic_write_json(json_path, metrics)


# Inputs such as "-1,1040" start with a dash; they are inputs, not options.
INPUT_SETTINGS = {"ignore_unknown_options": True}


@cli.command(context_settings=INPUT_SETTINGS)
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, required=True)
def predict(run_dir, inputs):
    """Predict INPUTS with the model of RUN_DIR; one JSON object per input."""
    from dlapps.run_folder import load_run

    recipe = load_run(run_dir)
    for text, result in zip(inputs, recipe.predict(recipe.parse_inputs(inputs)), strict=True):
        click.echo(json.dumps({"input": text, **result}))


@cli.command(context_settings=INPUT_SETTINGS)
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, required=True)
@click.option("--method", help="Explanation method [default: the recipe's].")
@click.option("--target", help="What to explain, e.g. a class [default: the recipe's].")
@click.option(
    "--sanity-check/--no-sanity-check",
    default=True,
    show_default=True,
    help="Check that the map changes when the model's weights are randomized.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder for the figure [default: RUN_DIR/explanations].",
)
def explain(run_dir, inputs, method, target, sanity_check, out):
    """Explain the decisions of the model of RUN_DIR on INPUTS.

    Writes METHOD.png (each input beside its attribution) and METHOD.json.
    """
    from dlapps.run_folder import atomic_write_json, load_run

    recipe = load_run(run_dir)
    explanation = recipe.explain(
        recipe.parse_inputs(inputs),
        method=method,
        target=recipe.parse_target(target) if target is not None else None,
        sanity_check=sanity_check,
    )
    out = out or run_dir / "explanations"
    figure = explanation.save(out / f"{explanation.method}.png")
    atomic_write_json(
        out / f"{explanation.method}.json", {"inputs": list(inputs), **explanation.to_dict()}
    )
    items = inputs
    if explanation.kind == "image_pair":  # inputs are explained two by two
        pairs = zip(inputs[::2], inputs[1::2], strict=False)
        items = [f"{first} vs {second}" for first, second in pairs]
    for item, label in zip(items, explanation.labels, strict=False):
        click.echo(f"{item}: {label}")
    if explanation.sanity is not None:
        click.echo(explanation.sanity)
    click.echo(f"Wrote {figure}")


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Target [default: RUN_DIR/export/NAME/1, or RUN_DIR/export/NAME.tflite].",
)
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["saved_model", "tflite"]),
    default="saved_model",
    show_default=True,
)
def export(run_dir, out, export_format):
    """Export the model of RUN_DIR for serving, verified against Keras."""
    from dlapps.run_folder import load_run

    recipe = load_run(run_dir)
    if out is None:
        folder = run_dir / "export"
        out = (
            folder / recipe.name / "1"
            if export_format == "saved_model"
            else (folder / f"{recipe.name}.tflite")
        )
    click.echo(f"Exported {recipe.export(out, format=export_format)}")


def _echo_metrics(metrics):
    width = max((len(key) for key in metrics), default=0)
    for key, value in metrics.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        click.echo(f"{key:<{width}}  {shown}")


def main(argv=None):
    """Runs the CLI; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return cli.main(args=argv, prog_name="dlapps", standalone_mode=False) or 0
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help())
        return 0
    except click.ClickException as error:
        return _fail(error.format_message(), error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        return _fail("interrupted; rerun the same command to resume training", 130)
    except (DlappsError, OSError) as error:
        if os.environ.get("DLAPPS_DEBUG"):
            raise
        return _fail(str(error), EXIT_USER_ERROR)


def _fail(message, status):
    click.echo(f"dlapps: error: {' '.join(str(message).split())}", err=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
