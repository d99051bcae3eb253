import keras
import numpy as np
import pytest

from dlapps.layers import SpecAugment


def masked_cells(layer, spectrograms):
    return np.asarray(layer(spectrograms, training=True)) == layer.mask_value


def test_masks_bands_of_time_and_frequency_in_training_only():
    spectrograms = np.ones((8, 40, 16, 1), "float32")
    layer = SpecAugment(time_masks=1, time_mask_width=6, frequency_masks=1,
                        frequency_mask_width=4, mask_value=0.0, seed=3)  # fmt: skip
    np.testing.assert_array_equal(np.asarray(layer(spectrograms)), spectrograms)
    masked = masked_cells(layer, spectrograms)[..., 0]
    for example in masked:
        time_band = np.flatnonzero(example.all(axis=1))  # whole frames masked
        frequency_band = np.flatnonzero(example.all(axis=0))  # whole bins masked
        assert len(time_band) <= 6 and len(frequency_band) <= 4
        # Bands are contiguous, and nothing outside them is masked.
        for band in (time_band, frequency_band):
            assert len(band) == 0 or band[-1] - band[0] == len(band) - 1
        outside = np.ones_like(example)
        outside[time_band] = False
        outside[:, frequency_band] = False
        assert not example[outside.astype(bool)].any()
    # Each example draws its own masks.
    assert len({mask.tobytes() for mask in masked}) > 1


def test_works_on_spectrograms_without_a_channel_axis_and_of_any_length():
    inputs = keras.Input((None, 16))
    model = keras.Model(inputs, SpecAugment(time_mask_width=3, frequency_mask_width=2)(inputs))
    for frames in (5, 50):
        out = np.asarray(model(np.full((2, frames, 16), 7.0, "float32"), training=True))
        assert out.shape == (2, frames, 16)
        assert set(np.unique(out)) <= {0.0, 7.0}


@pytest.mark.parametrize("argument", ["time_masks", "time_mask_width", "frequency_mask_width"])
def test_rejects_bad_arguments(argument):
    with pytest.raises(ValueError, match=f"Received: {argument}=-1"):
        SpecAugment(**{argument: -1})
