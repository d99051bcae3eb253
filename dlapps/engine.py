"""The training engine shared by every recipe."""

import contextlib
import math
import tempfile

import keras
import tensorflow as tf

from dlapps.callbacks import BestWeightsCheckpoint, ExplanationImages
from dlapps.distribute import resolve_strategy
from dlapps.errors import RunFolderError
from dlapps.finetune import freeze_backbone, transfer_weights
from dlapps.run_folder import HISTORY, LOGS, RunFolder


def fit(recipe, train, val=None, *, strategy="auto", run_dir=None, callbacks=(), verbose="auto"):
    """Builds, trains and saves `recipe`'s model into a run folder.

    See `Recipe.fit` for the arguments. The run resumes from its last
    completed epoch when `run_dir` holds an interrupted run of the same recipe
    and hyperparameters.

    Returns:
        The Keras `History` of this call.
    """
    config = recipe.config
    run = RunFolder.prepare(run_dir or tempfile.mkdtemp(prefix=f"dlapps-{recipe.name}-"), recipe)
    source = _init_model(recipe) if recipe.init_from else None

    keras.utils.set_random_seed(config.seed)
    recipe.steps_per_epoch = _steps_per_epoch(train)
    distribution = resolve_strategy(strategy)
    policy = "mixed_float16" if config.mixed_precision else None
    with _dtype_policy(policy), distribution.scope():
        model = recipe.build_model()
        recipe.adapt(model, train)
        if source is not None:
            transfer_weights(model, source)
            if recipe.freeze_backbone:
                freeze_backbone(model, recipe.head_layers)
        model.compile(optimizer=recipe.make_optimizer(), **recipe.compile_arguments())
    recipe.model = model
    recipe.run_dir = run.path
    run.write_config(recipe)

    history = model.fit(
        train,
        validation_data=val,
        epochs=config.epochs,
        shuffle=False,  # recipes shuffle in their tf.data pipelines
        callbacks=_callbacks(run, recipe, val) + list(callbacks),
        verbose=verbose,
    )
    if run.best_weights.exists():
        model.load_weights(run.best_weights)
    run.save_model(model)
    run.tidy_history()
    held_out = val if val is not None else train
    recipe.calibrate(held_out)
    metrics = recipe.evaluate(held_out)
    run.write_metrics(metrics)
    run.write_model_card(recipe, metrics, "validation data" if val is not None else "training data")
    return history


def _callbacks(run, recipe, val):
    config = recipe.config
    monitor = "val_loss" if val is not None else "loss"
    callbacks = [
        # Backup first: an epoch is logged only once it can be resumed from.
        keras.callbacks.BackupAndRestore(str(run.backup_dir), double_checkpoint=True),
        BestWeightsCheckpoint(
            run.best_weights, monitor=monitor, initial_best=_best_so_far(run, monitor)
        ),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(run / LOGS), write_graph=False, profile_batch=0),
        keras.callbacks.CSVLogger(str(run / HISTORY), append=True),
    ]
    if config.early_stopping_patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor=monitor, patience=config.early_stopping_patience)
        )
    if config.explain_every and val is not None:
        features, _ = next(iter(val))
        callbacks.append(
            ExplanationImages(
                tf.nest.map_structure(lambda tensor: tensor[:4], features),
                run / LOGS,
                every_n_epochs=config.explain_every,
                explainer=recipe,
            )
        )
    return callbacks


def _steps_per_epoch(train):
    """Batches per epoch of `train`, or `None` when tf.data cannot tell."""
    steps = int(train.cardinality())
    return steps if steps > 0 else None


def _best_so_far(run, monitor):
    values = [float(row[monitor]) for row in run.read_history() if row.get(monitor)]
    finite = [v for v in values if math.isfinite(v)]
    return min(finite) if finite else None


def _init_model(recipe):
    earlier = RunFolder.open(recipe.init_from).load_recipe()
    if earlier.name != recipe.name:
        raise RunFolderError(
            f"init_from holds a run of recipe '{earlier.name}', not '{recipe.name}'. "
            f"Received: init_from={recipe.init_from}"
        )
    return earlier.model


@contextlib.contextmanager
def _dtype_policy(name):
    if name is None:
        yield
        return
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
