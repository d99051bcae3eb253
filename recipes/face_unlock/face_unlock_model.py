"""The face embedding network: resize and scale inside, a compact CNN, and
unit-length embeddings compared by cosine similarity."""

import math

import keras

GROUPS = 8


def _group_norm(channels, name):
    return keras.layers.GroupNormalization(math.gcd(GROUPS, channels), name=name)


def build_embedding_net(image_size=64, embedding_dim=64, width=32, regularizer=None):
    """Returns a model from uint8 RGB images of any size `(batch, h, w, 3)`
    to L2-normalized embeddings `(batch, embedding_dim)`.

    Four blocks of two 3x3 convolutions (width x 1, 2, 3, 4 filters) with
    group normalization, which computes the same in training and at
    inference, then global average pooling and a linear projection.
    """
    images = keras.Input((None, None, 3), dtype="uint8", name="image")
    x = keras.layers.Resizing(image_size, image_size, name="resize")(images)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="scale")(x)
    for index, multiple in enumerate((1, 2, 3, 4), start=1):
        filters = width * multiple
        for part in (1, 2):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", use_bias=False, kernel_regularizer=regularizer,
                name=f"block{index}_conv{part}",
            )(x)  # fmt: skip
            x = _group_norm(filters, f"block{index}_norm{part}")(x)
            x = keras.layers.ReLU(name=f"block{index}_relu{part}")(x)
        x = keras.layers.MaxPooling2D(name=f"block{index}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dense(embedding_dim, kernel_regularizer=regularizer, dtype="float32",
                           name="projection")(x)  # fmt: skip
    embeddings = keras.layers.UnitNormalization(dtype="float32", name="embedding")(x)
    return keras.Model(images, embeddings, name="face_embedding")
