import numpy as np
import pytest

import dlapps
from dlapps.recipes.image_compression import image_compression_format as dlc

MODEL_ID = bytes(range(8))


def sample():
    words = np.random.default_rng(0).integers(0, 2**32, 50, dtype=np.uint64).astype("uint32")
    return dlc.pack(3, 333, 517, MODEL_ID, (21, 33, 192), words), words


def test_round_trip_keeps_every_field():
    data, words = sample()
    channels, height, width, model_id, latent_shape, read = dlc.unpack(data)
    assert (channels, height, width, model_id, latent_shape) == (3, 333, 517, MODEL_ID,
                                                                  (21, 33, 192))  # fmt: skip
    np.testing.assert_array_equal(read, words)
    assert len(data) == 4 + 1 + 1 + 4 + 8 + 6 + 4 + 4 + 4 * 50


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:10], "shorter than a header"),
        (lambda d: d[:-3], "its header announces"),
        (lambda d: b"PNG\x00" + d[4:], "does not start with"),
        (lambda d: d[:4] + b"\x09" + d[5:], "format version 9"),
        (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "checksum does not match"),
    ],
)
def test_damaged_files_are_named_with_the_reason(mutate, message):
    data, _ = sample()
    with pytest.raises(
        dlapps.errors.DataError, match=f"photo.dlc is not a readable .dlc file: .*{message}"
    ):
        dlc.unpack(mutate(data), "photo.dlc")


def test_thousands_of_mutated_and_truncated_files_fail_cleanly():
    data, _ = sample()
    rng = np.random.default_rng(7)
    for trial in range(3000):
        damaged = bytearray(data)
        if trial % 3 == 0:
            damaged = damaged[: rng.integers(0, len(data))]
        else:
            for position in rng.integers(0, len(data), rng.integers(1, 6)):
                damaged[position] = rng.integers(0, 256)
        if bytes(damaged) == data:
            continue
        with pytest.raises(dlapps.errors.DataError):
            dlc.unpack(damaged)
