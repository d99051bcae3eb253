"""A `model.fit` for the strategies Keras' own cannot drive.

Keras 3's `model.fit` fails under `tf.distribute.MultiWorkerMirroredStrategy`
("Attempt to convert a value (PerReplica...) to a Tensor";
keras-team/keras#20585, tensorflow/tensorflow#72388). This loop runs the
model's own `train_step` and `test_step` in `strategy.run`, so losses,
loss scaling, metrics and optimizer behave exactly as under `model.fit`:
Keras scales each replica's loss by `1 / replicas` and the optimizer
all-reduces the gradients. It drives the same Keras callbacks.
"""

import keras
import tensorflow as tf

from dlapps.errors import DataError


def distributed_fit(
    model,
    train,
    *,
    validation_data=None,
    validation_model=None,
    epochs=1,
    steps_per_epoch=None,
    callbacks=(),
    verbose=1,
):
    """Trains a compiled `model` built under its strategy's scope.

    Args:
        model: a compiled Keras model whose variables live in the scope of a
            `tf.distribute.Strategy`.
        train: a `tf.data.Dataset` of per-replica batches; see
            `distribute_batches`.
        validation_data: an optional `tf.data.Dataset` evaluated after every
            epoch; its metrics are logged with a `val_` prefix.
        validation_model: with `validation_data`, a compiled copy of `model`
            built outside the strategy: each epoch it takes the trained
            weights and evaluates on one device. (Split across replicas, a
            validation batch smaller than the number of replicas would leave
            a replica an empty batch, which some layers cannot take.) Every
            worker evaluates the same data with the same weights, so all
            agree on `val_loss`.
        epochs: the last epoch to train; a `BackupAndRestore` callback may
            start from a later one than 0.
        steps_per_epoch: for the progress bar; `None` when unknown.
        callbacks: Keras callbacks, called as `model.fit` calls them.
        verbose: 0 for silence, 1 (or `"auto"`) for a progress bar, 2 for one
            line per epoch.

    Returns:
        The Keras `History`.
    """
    verbose = 1 if verbose == "auto" else verbose
    callback_list = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=True,
        add_progbar=verbose != 0,
        model=model,
        verbose=verbose,
        epochs=epochs,
        steps=steps_per_epoch,
    )
    return _train(model, train, validation_data, validation_model, epochs, callback_list)


def _train(model, train, validation_data, validation_model, epochs, callback_list):
    strategy = model.distribute_strategy
    train_function = _step_function(strategy, model.train_step, model.jit_compile)
    synchronize = _synchronizer(strategy, model)
    # As `model.fit` does, one batch is drawn to build the optimizer's,
    # metrics' and losses' variables here, in the strategy's scope (not
    # lazily in a replica) and before BackupAndRestore restores them; so a
    # pipeline whose passes differ (a generator) yields the same batches to
    # both loops.
    with strategy.scope():
        model._symbolic_build(data_batch=next(iter(train)))
    train = distribute_batches(strategy, train)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    # BackupAndRestore sets `_initial_epoch` when it restores a backup.
    for epoch in range(getattr(model, "_initial_epoch", None) or 0, epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        for step, batch in enumerate(train):
            callback_list.on_train_batch_begin(step)
            callback_list.on_train_batch_end(step, train_function(batch))
            if model.stop_training:
                break
        synchronize()
        logs = _metrics_result(model)
        if validation_data is not None:
            validation_model.set_weights(model.get_weights())
            results = validation_model.evaluate(validation_data, verbose=0, return_dict=True)
            logs.update({f"val_{key}": float(value) for key, value in results.items()})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history


def distribute_batches(strategy, dataset):
    """Deals the batches of `dataset` out to the replicas of `strategy`.

    Each replica takes whole batches in turn, so it sees batches exactly as
    one device would, whatever they hold (padded sequences, P x K identity
    batches). Under multi-worker training every worker reads the same
    pipeline and keeps every `workers`-th batch. When the pipeline's length
    is known, the batches left over at the end of an epoch that cannot give
    every replica one are dropped.

    Args:
        strategy: a `tf.distribute.Strategy`.
        dataset: a batched `tf.data.Dataset`.

    Returns:
        A `tf.distribute.DistributedDataset` of `global_steps(dataset,
        replicas)` steps per epoch.
    """
    replicas = strategy.num_replicas_in_sync
    steps = global_steps(dataset, replicas)

    def per_worker(context):
        batches = dataset if steps is None else dataset.take(steps * replicas)
        return batches.shard(context.num_input_pipelines, context.input_pipeline_id)

    return strategy.distribute_datasets_from_function(per_worker)


def global_steps(dataset, replicas=1):
    """Training steps in one pass over `dataset` with `replicas` replicas,
    or `None` when tf.data cannot tell its length.

    Raises:
        DataError: `dataset` has fewer batches than there are replicas.
    """
    batches = int(dataset.cardinality())
    if batches < 0:
        return None
    if batches < replicas:
        raise DataError(
            f"The training data has {batches} batches per epoch, fewer than the {replicas} "
            "replicas, which each need one per step; lower batch_size or add data. "
            f"Received: batches={batches}, replicas={replicas}"
        )
    return batches // replicas


def _step_function(strategy, step, jit_compile):
    """One step on every replica; returns its metrics averaged over the
    replicas, so every worker sees the same values (and stops together when
    `TerminateOnNaN` sees a NaN)."""

    @tf.function(jit_compile=jit_compile)
    def run(batch):
        outputs = strategy.run(step, args=(batch,))
        mean = tf.distribute.ReduceOp.MEAN
        return {key: strategy.reduce(mean, value, axis=None) for key, value in outputs.items()}

    return run


def _synchronizer(strategy, model):
    """Averages the model's floating-point non-trainable variables over the
    replicas. Keras 3 updates a `BatchNormalization` layer's moving
    statistics in each replica from its own batch, without aggregation, so
    the replicas (and workers) drift apart; averaging them at the end of
    every epoch makes every worker save and validate the same model."""
    variables = [
        variable.value
        for variable in model.non_trainable_variables
        if "float" in str(variable.dtype)
    ]

    def average():
        context = tf.distribute.get_replica_context()
        mean = tf.distribute.ReduceOp.MEAN
        local = [tf.identity(variable) for variable in variables]
        for variable, value in zip(variables, context.all_reduce(mean, local), strict=True):
            variable.assign(value)

    @tf.function
    def run():
        strategy.run(average)

    return run if variables else lambda: None


def _metrics_result(model):
    """The epoch's metrics, reduced over all replicas of all workers."""
    return {key: float(value) for key, value in model.get_metrics_result().items()}
