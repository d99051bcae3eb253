"""A callback that shows, in TensorBoard, what the model learns to look at."""

import io
from pathlib import Path

import keras
import tensorflow as tf


class ExplanationImages(keras.callbacks.Callback):
    """Renders explanations of fixed inputs into TensorBoard images every
    `every_n_epochs` epochs, so the images tab shows how the evidence the
    model uses changes while it trains.

    Args:
        inputs: a small batch of raw inputs, explained each time (the
            figures show at most 4).
        log_dir: the TensorBoard folder; the images are written under
            `log_dir/explanations`.
        every_n_epochs: how often to explain, >= 1.
        explainer: the recipe whose default method, target and layer are
            used; the model being trained when `None`.
        method: the explanation method; the explainer's default when `None`.
        target: what to explain; the default target when `None`.
        sanity_check: run the randomization check each time (twice the cost).
        **options: options for `dlapps.explain`.

    Example:

    ```python
    images = dlapps.callbacks.ExplanationImages(val_images[:4], "runs/a/logs", every_n_epochs=2)
    model.fit(train, epochs=10, callbacks=[images])
    ```
    """

    def __init__(
        self,
        inputs,
        log_dir,
        every_n_epochs=1,
        explainer=None,
        method=None,
        target=None,
        sanity_check=False,
        **options,
    ):
        super().__init__()
        if every_n_epochs < 1:
            raise ValueError(
                f"every_n_epochs must be >= 1. Received: every_n_epochs={every_n_epochs}"
            )
        self.inputs = inputs
        self.log_dir = Path(log_dir) / "explanations"
        self.every_n_epochs = every_n_epochs
        self.explainer = explainer
        self.method = method
        self.target = target
        self.sanity_check = sanity_check
        self.options = options
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        from dlapps.explainers import explain

        explanation = explain(
            self.explainer if self.explainer is not None else self.model,
            self.inputs,
            method=self.method,
            target=self.target,
            sanity_check=self.sanity_check,
            **self.options,
        )
        png = io.BytesIO()
        explanation.plot().savefig(png, format="png", dpi=80)
        image = tf.image.decode_png(png.getvalue(), channels=4)[None]
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir))
        with self._writer.as_default():
            tf.summary.image(f"explanations/{explanation.method}", image, step=epoch)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
