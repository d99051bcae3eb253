"""The training engine shared by every recipe."""

import contextlib
import math
import shutil
import tempfile

import keras
import tensorflow as tf

from dlapps.callbacks import BestWeightsCheckpoint, EpochTensorBoard, ExplanationImages
from dlapps.data.performance import tune_pipeline
from dlapps.distribute import is_chief, is_multi_worker, resolve_strategy
from dlapps.distributed_fit import distributed_fit, global_steps
from dlapps.errors import ConfigError, RunFolderError
from dlapps.finetune import freeze_backbone, transfer_weights
from dlapps.run_folder import HISTORY, LOGS, MODEL, RunFolder


def fit(recipe, train, val=None, *, strategy="auto", run_dir=None, callbacks=(), verbose="auto"):
    """Builds, trains and saves `recipe`'s model into a run folder.

    See `Recipe.fit` for the arguments. The run resumes from its last
    completed epoch when `run_dir` holds an interrupted run of the same recipe
    and hyperparameters. Under multi-worker training every worker calls this
    with the same `run_dir`; only the chief writes it, and the others
    resume from its backup.

    Returns:
        The Keras `History` of this call.
    """
    config = recipe.config
    distribution = resolve_strategy(strategy)
    multi_worker = is_multi_worker(distribution)
    chief = is_chief(distribution)
    if multi_worker and run_dir is None:
        raise ConfigError(
            "strategy='multi_worker' needs a run_dir that every worker can reach "
            "(shared storage). Received: run_dir=None"
        )
    run_dir = run_dir or tempfile.mkdtemp(prefix=f"dlapps-{recipe.name}-")
    run = RunFolder.prepare(run_dir, recipe) if chief else _worker_folder(run_dir, recipe)
    source = _init_model(recipe) if recipe.init_from else None

    keras.utils.set_random_seed(config.seed)
    replicas = distribution.num_replicas_in_sync
    steps = global_steps(train, replicas)
    recipe.steps_per_epoch = steps and max(1, steps // config.gradient_accumulation_steps)
    # Workers must agree on which batch is whose: the order is fixed.
    training_input = tune_pipeline(train, deterministic=config.deterministic or multi_worker)
    # Validation keeps its order: metrics may pair up its examples.
    validation_input = tune_pipeline(val, deterministic=True) if val is not None else None
    model = _build_model(recipe, distribution, training_input, source)
    recipe.model, recipe.run_dir = model, run.path
    monitor = "val_loss" if val is not None else "loss"
    callbacks = _callbacks(run, recipe, val, _best_so_far(RunFolder(run_dir), monitor)) + list(
        callbacks
    )
    run.write_config(recipe)

    # Keras' fit cannot drive a multi-worker strategy, nor validate under
    # MirroredStrategy when a batch has fewer examples than replicas (its
    # symbolic build sums the replicas' batches): several replicas train in
    # dlapps' own loop.
    distributed = replicas > 1 or multi_worker
    if distributed:
        history = distributed_fit(
            model,
            training_input,
            validation_data=validation_input,
            validation_model=_single_device_copy(model, recipe) if val is not None else None,
            epochs=config.epochs,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=verbose,
        )
    else:
        history = model.fit(
            training_input,
            validation_data=validation_input,
            epochs=config.epochs,
            shuffle=False,  # recipes shuffle in their tf.data pipelines
            callbacks=callbacks,
            verbose=verbose,
        )
    if run.best_weights.exists():
        model.load_weights(run.best_weights)
    run.save_model(model)
    if not chief:
        shutil.rmtree(run.path, ignore_errors=True)
        recipe.run_dir = None
        return history
    run.tidy_history()
    if distributed:
        # The chief evaluates alone, on one device: on the saved model.
        recipe.model = keras.saving.load_model(
            run / MODEL, custom_objects=recipe.custom_objects(), safe_mode=True
        )
    _evaluate_into(run, recipe, val if val is not None else train, val is not None)
    return history


def _build_model(recipe, distribution, training_input, source):
    """The recipe's model, adapted, initialised from `source` and compiled
    in the strategy's scope and under the config's dtype policy."""
    config = recipe.config
    policy = None if config.precision == "float32" else config.precision
    with _dtype_policy(policy), distribution.scope():
        model = recipe.build_model()
        recipe.adapt(model, training_input)
        if source is not None:
            transfer_weights(model, source)
            if recipe.freeze_backbone:
                freeze_backbone(model, recipe.head_layers)
        model.compile(
            optimizer=recipe.make_optimizer(),
            jit_compile=config.jit_compile,
            **recipe.compile_arguments(),
        )
    return model


def _evaluate_into(run, recipe, held_out, is_validation):
    """Calibrates and evaluates the trained recipe on `held_out`; writes the
    metrics and the model card."""
    recipe.calibrate(held_out)
    metrics = recipe.evaluate(held_out)
    run.write_metrics(metrics)
    run.write_model_card(recipe, metrics, "validation data" if is_validation else "training data")


def _single_device_copy(model, recipe):
    """`model` rebuilt from its config outside any strategy and compiled
    like it, to validate on one device."""
    copy = model.__class__.from_config(model.get_config(), custom_objects=recipe.custom_objects())
    copy.compile(**recipe.compile_arguments())
    return copy


def _worker_folder(run_dir, recipe):
    """A scratch run folder for a non-chief worker, seeded with the chief's
    backup so it resumes from the same epoch.

    Saving distributed variables takes part in the cluster's collective
    operations, so every worker saves what the chief saves, in the same
    order; the workers save into scratch folders, deleted afterwards.
    """
    scratch = RunFolder.prepare(tempfile.mkdtemp(prefix=f"dlapps-{recipe.name}-worker-"), recipe)
    chief_backup = RunFolder(run_dir).backup_dir
    if chief_backup.is_dir():
        shutil.copytree(chief_backup, scratch.backup_dir)
    return scratch


def _callbacks(run, recipe, val, best_so_far):
    config = recipe.config
    monitor = "val_loss" if val is not None else "loss"
    backup = keras.callbacks.BackupAndRestore(str(run.backup_dir), double_checkpoint=True)
    stop_on_nan = keras.callbacks.TerminateOnNaN()
    # Their batch hooks only count batches or read the loss: Keras may call
    # them asynchronously, so the training loop does not wait on every step.
    backup.async_safe = stop_on_nan.async_safe = True
    callbacks = [
        backup,  # first: an epoch is logged only once it can be resumed from
        BestWeightsCheckpoint(
            run.best_weights,
            monitor=monitor,
            initial_best=best_so_far,
            copy_of=backup._weights_path,  # the epoch's backup, just written
        ),
        stop_on_nan,
        EpochTensorBoard(str(run / LOGS), write_graph=False),
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
