import math
import shutil
from pathlib import Path

import keras

from dlapps.atomic import atomic_path


class BestWeightsCheckpoint(keras.callbacks.Callback):
    """Saves the weights whenever a monitored metric improves, atomically.

    Unlike `keras.callbacks.ModelCheckpoint`, the weights are written to a
    temporary file and renamed into place, so a run killed mid-write keeps
    its previous best weights.

    Args:
        filepath: the `.weights.h5` file to write.
        monitor: the metric to watch, e.g. `"val_loss"`.
        mode: `"min"` or `"max"`: whether smaller or larger is better.
        initial_best: the best value seen before (when a run resumes), so a
            worse epoch after the resume does not replace the best weights.
        copy_of: a weights file that an earlier callback writes at the end of
            every epoch (a `BackupAndRestore` backup); an improvement then
            copies it instead of saving the weights a second time.

    Example:

    ```python
    model.fit(train, validation_data=val,
              callbacks=[BestWeightsCheckpoint("best.weights.h5")])
    ```
    """

    def __init__(self, filepath, monitor="val_loss", mode="min", initial_best=None, copy_of=None):
        super().__init__()
        if not str(filepath).endswith(".weights.h5"):
            raise ValueError(f"filepath must end in '.weights.h5'. Received: filepath={filepath}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'. Received: mode={mode}")
        self.filepath = Path(filepath)
        self.monitor = monitor
        self.mode = mode
        if initial_best is None:
            initial_best = math.inf if mode == "min" else -math.inf
        self.best = float(initial_best)
        self.copy_of = Path(copy_of) if copy_of is not None else None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        improved = value < self.best if self.mode == "min" else value > self.best
        if improved:
            self.best = float(value)
            with atomic_path(self.filepath) as tmp:
                if self.copy_of is not None:
                    shutil.copyfile(self.copy_of, tmp)
                else:
                    self.model.save_weights(tmp)
