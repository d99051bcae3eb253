import keras


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """TensorBoard logs of the epochs only, with no cost per batch.

    Keras 3's `TensorBoard` writes every training batch's metrics as
    summaries whatever `update_freq` says, which on small models costs as
    much as the training step itself (0.4 ms a step for a two-weight model
    on a CPU); its batch hooks also keep Keras from dispatching callbacks
    asynchronously. This subclass writes the epoch summaries (and
    histograms, images, the graph) as `TensorBoard` does, and nothing per
    batch.

    Args:
        log_dir: the folder of the event files.
        **kwargs: `keras.callbacks.TensorBoard` arguments, but for
            `update_freq` and `profile_batch`, which need batch hooks.

    Example:

    ```python
    model.fit(train, epochs=10, callbacks=[EpochTensorBoard("logs")])
    ```
    """

    async_safe = True

    def __init__(self, log_dir="logs", **kwargs):
        for argument in ("update_freq", "profile_batch"):
            if argument in kwargs:
                raise ValueError(
                    f"EpochTensorBoard logs epochs only and takes no {argument}. "
                    f"Received: {argument}={kwargs[argument]!r}"
                )
        super().__init__(log_dir, update_freq="epoch", profile_batch=0, **kwargs)

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass
