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


def distributed_fit(
    model, train, *, validation_data=None, epochs=1, steps_per_epoch=None, callbacks=(), verbose=1
):
    """Trains a compiled `model` built under its strategy's scope.

    Args:
        model: a compiled Keras model whose variables live in the scope of a
            `tf.distribute.Strategy`.
        train: a `tf.data.Dataset` of global batches; the strategy gives each
            replica its slice.
        validation_data: an optional `tf.data.Dataset` evaluated after every
            epoch; its metrics are logged with a `val_` prefix.
        epochs: the last epoch to train; a `BackupAndRestore` callback may
            start from a later one than 0.
        steps_per_epoch: for the progress bar; `None` when unknown.
        callbacks: Keras callbacks, called as `model.fit` calls them.
        verbose: 0 for silence, 1 (or `"auto"`) for a progress bar, 2 for one
            line per epoch.

    Returns:
        The Keras `History`.
    """
    strategy = model.distribute_strategy
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
    with strategy.scope():
        return _train(model, train, validation_data, epochs, callback_list)


def _train(model, train, validation_data, epochs, callback_list):
    strategy = model.distribute_strategy
    train_function = _step_function(strategy, model.train_step, model.jit_compile)
    test_function = _step_function(strategy, model.test_step, model.jit_compile)
    train = strategy.experimental_distribute_dataset(train)
    if validation_data is not None:
        validation_data = strategy.experimental_distribute_dataset(validation_data)
    # Optimizer variables are created here, in the strategy's scope, before
    # a BackupAndRestore callback restores them.
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
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
        logs = _metrics_result(model)
        if validation_data is not None:
            model.reset_metrics()
            for batch in validation_data:
                test_function(batch)
            logs.update({f"val_{key}": value for key, value in _metrics_result(model).items()})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history


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


def _metrics_result(model):
    """The epoch's metrics, reduced over all replicas of all workers."""
    return {key: float(value) for key, value in model.get_metrics_result().items()}
