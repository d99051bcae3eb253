import numpy as np
import pytest
import tensorflow as tf
from toy_recipe import ToyClassifier

import dlapps


def test_predictions_stay_aligned_with_targets_of_a_reshuffling_dataset():
    model = ToyClassifier().build_model()
    features = np.arange(200, dtype="float32").reshape(100, 2)
    data = tf.data.Dataset.from_tensor_slices((features, features[:, 0]))
    data = data.shuffle(100, seed=1, reshuffle_each_iteration=True).batch(16)
    predictions, targets = dlapps.collect_predictions(model, data)
    assert predictions.shape == (100, 3)
    # Each target identifies its input row; the prediction must be that row's.
    rows = (targets / 2).astype(int)
    np.testing.assert_allclose(predictions, model.predict(features[rows], verbose=0), rtol=1e-5)


def test_empty_dataset_is_an_error():
    model = ToyClassifier().build_model()
    empty = tf.data.Dataset.from_tensor_slices((np.zeros((0, 2), "float32"), np.zeros(0))).batch(4)
    with pytest.raises(ValueError, match="empty dataset"):
        dlapps.collect_predictions(model, empty)
