"""The face embedding network: crop, resize and scale inside, a compact CNN,
and unit-length embeddings compared by cosine similarity."""

import math

import keras

GROUPS = 8
# The last feature map before pooling (6x6 cells for 48x48 faces): the
# similarity map splits the match score over its cells.
FEATURE_MAP = "block4_relu2"
NECK = "neck"
PROJECTION = "projection"


def _group_norm(channels, name):
    return keras.layers.GroupNormalization(math.gcd(GROUPS, channels), name=name)


def build_embedding_net(
    image_size=48, embedding_dim=64, width=32, random_flip=False, regularizer=None, seed=None
):
    """Returns a model from uint8 RGB images of any size `(batch, h, w, 3)`
    to L2-normalized embeddings `(batch, embedding_dim)`.

    Images are scaled to [-1, 1], centre-cropped to a square, resized to
    `image_size` and, with `random_flip`, mirrored at random in training.
    Four blocks of two 3x3 convolutions (width x 1, 2, 3, 4 filters) with
    group normalization, which computes the same in training and at
    inference, each ending in 2x2 max pooling. Global average pooling,
    batch normalization of the pooled features and a linear projection
    follow: all affine after the pooling, so the match score of two faces
    is a sum over the cells of the last feature map (see
    `face_unlock_explain`).
    """
    images = keras.Input((None, None, 3), dtype="uint8", name="image")
    # Scaled (to float) before resizing: Keras resizes uint8 images with
    # rounding in eager mode but not in a graph, so served and eager
    # embeddings would differ.
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="scale")(images)
    x = keras.layers.Resizing(image_size, image_size, crop_to_aspect_ratio=True, name="resize")(x)
    if random_flip:
        x = keras.layers.RandomFlip("horizontal", seed=seed, name="flip")(x)
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
    # Pooled ReLU features share a large mean, so at first every face gets
    # nearly the same embedding and the triplet loss sits at its margin for
    # epochs. Centring them per channel (a "BNNeck", Luo et al. 2019) lets
    # training start at once. Momentum 0.9: the moving statistics settle
    # within a few dozen steps, so short fine-tuning runs serve correctly.
    x = keras.layers.BatchNormalization(momentum=0.9, dtype="float32", name=NECK)(x)
    x = keras.layers.Dense(embedding_dim, kernel_regularizer=regularizer, dtype="float32",
                           name=PROJECTION)(x)  # fmt: skip
    embeddings = keras.layers.UnitNormalization(dtype="float32", name="embedding")(x)
    return keras.Model(images, embeddings, name="face_embedding")
