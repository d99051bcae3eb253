import keras
import numpy as np
import pytest
import tensorflow as tf

from dlapps.callbacks import BestWeightsCheckpoint, EpochTensorBoard


def summary_tags(folder):
    return {
        value.tag
        for event_file in folder.rglob("events.out.*")
        for event in tf.compat.v1.train.summary_iterator(str(event_file))
        for value in event.summary.value
    }


def test_epoch_tensorboard_writes_epoch_summaries_only(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    features, targets = np.ones((64, 2), "float32"), np.zeros((64, 1), "float32")
    callback = EpochTensorBoard(str(tmp_path))
    model.fit(features, targets, batch_size=8, epochs=2, callbacks=[callback], verbose=0)
    tags = summary_tags(tmp_path)
    assert "epoch_loss" in tags
    assert not any(tag.startswith("batch_") for tag in tags), tags
    with pytest.raises(ValueError, match="Received: update_freq='batch'"):
        EpochTensorBoard(str(tmp_path), update_freq="batch")


def test_best_weights_can_copy_the_epochs_backup(tmp_path):
    backup = tmp_path / "latest.weights.h5"
    best = tmp_path / "best.weights.h5"
    callback = BestWeightsCheckpoint(best, monitor="loss", copy_of=backup)
    backup.write_bytes(b"epoch 0")
    callback.on_epoch_end(0, {"loss": 1.0})
    assert best.read_bytes() == b"epoch 0"
    backup.write_bytes(b"epoch 1")
    callback.on_epoch_end(1, {"loss": 2.0})  # worse: the best stays
    assert best.read_bytes() == b"epoch 0"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.weights.h5", "latest.weights.h5"]
