"""The `.dlc` file format: a small versioned header, then the entropy-coded
latents. Every field is checked before it is used, so a truncated,
corrupted or foreign file gives a clean `DataError`, never a crash or a
hang.

Layout (little-endian):

| bytes | field |
| --- | --- |
| 4 | magic `DLC1` |
| 1 | format version (1) |
| 1 | channels of the image (1 grayscale, 3 RGB) |
| 4 | height, width (2 bytes each) |
| 8 | model id: the first 8 bytes of the SHA-256 of the model's weights |
| 2 | latent height, 2 latent width, 2 latent channels |
| 4 | payload length in 32-bit words |
| 4 | CRC-32 of everything before it and of the payload |
| 4 x n | payload: the range coder's words |
"""

import struct
import zlib

import numpy as np

import dlapps

MAGIC = b"DLC1"
VERSION = 1
_HEADER = struct.Struct("<4sBBHH8sHHHI")
_CRC = struct.Struct("<I")
HEADER_BYTES = _HEADER.size + _CRC.size
MAX_SIDE = 1 << 15


def pack(channels, height, width, model_id, latent_shape, words):
    """The bytes of a `.dlc` file."""
    words = np.asarray(words, "<u4")
    header = _HEADER.pack(MAGIC, VERSION, channels, height, width, model_id, *latent_shape,
                          words.size)  # fmt: skip
    payload = words.tobytes()
    return header + _CRC.pack(zlib.crc32(payload, zlib.crc32(header))) + payload


def unpack(data, source="file"):
    """`(channels, height, width, model_id, latent_shape, words)` of a
    `.dlc` file's bytes; `DataError` naming `source` for anything wrong."""
    data = bytes(data)
    if len(data) < _HEADER.size + _CRC.size:
        raise _bad(source, f"it is {len(data)} bytes, shorter than a header")
    fields = _HEADER.unpack_from(data)
    magic, version, channels, height, width, model_id, *latent_shape, count = fields
    if magic != MAGIC:
        raise _bad(source, f"it does not start with {MAGIC!r} (found {magic!r})")
    if version != VERSION:
        raise _bad(source, f"format version {version}; this dlapps reads version {VERSION}")
    expected = _HEADER.size + _CRC.size + 4 * count
    if len(data) != expected:
        raise _bad(source, f"it is {len(data)} bytes; its header announces {expected}")
    (crc,) = _CRC.unpack_from(data, _HEADER.size)
    payload = data[_HEADER.size + _CRC.size :]
    if zlib.crc32(payload, zlib.crc32(data[: _HEADER.size])) != crc:
        raise _bad(source, "its checksum does not match: the file is corrupted")
    if channels not in (1, 3) or not 0 < height < MAX_SIDE or not 0 < width < MAX_SIDE:
        raise _bad(source, f"the header holds an impossible image: {channels} x {height} x {width}")
    words = np.frombuffer(payload, "<u4").astype("uint32")
    return channels, height, width, model_id, tuple(latent_shape), words


def _bad(source, reason):
    return dlapps.errors.DataError(f"{source} is not a readable .dlc file: {reason}")
