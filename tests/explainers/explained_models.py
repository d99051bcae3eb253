"""Small trained models of every input layout, for the explanation tests.

Each task puts the evidence somewhere known (a shape's place, a keyword, a
sensor's late drift), so tests can check that explanations find it.
"""

import keras
import numpy as np
import tensorflow as tf

IMAGE_SIZE = 24
SHAPE_SIZE = 7


def shape_images(count, seed=0):
    """Noisy grey images with one bright shape at a random place; the label
    is the shape (square, cross, horizontal bar, vertical bar). Returns
    `(images, labels, boxes)`, boxes as `(top, left)` of the shape's cell."""
    rng = np.random.default_rng(seed)
    cell = np.zeros((4, SHAPE_SIZE, SHAPE_SIZE), "float32")
    middle = SHAPE_SIZE // 2
    cell[0, 1:-1, 1:-1] = 1
    cell[1, middle, :] = cell[1, :, middle] = 1
    cell[2, middle - 1 : middle + 2, :] = 1
    cell[3, :, middle - 1 : middle + 2] = 1
    images = rng.uniform(0, 0.35, (count, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    labels = rng.integers(0, 4, count).astype("int32")
    boxes = rng.integers(0, IMAGE_SIZE - SHAPE_SIZE, (count, 2))
    for image, label, (top, left) in zip(images, labels, boxes, strict=True):
        patch = image[top : top + SHAPE_SIZE, left : left + SHAPE_SIZE]
        patch += cell[label][..., None] * rng.uniform(0.5, 0.8)
    return images, labels, boxes


def train_shape_classifier(seed=0):
    """A CNN with global pooling ending in a separate softmax layer."""
    keras.utils.set_random_seed(seed)
    model = shape_classifier_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    images, labels, _ = shape_images(1024, seed)
    model.fit(images, labels, epochs=8, batch_size=32, verbose=0)
    return model


def shape_classifier_model():
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalMaxPooling2D(name="gap")(x)
    logits = keras.layers.Dense(4, name="logits")(x)
    outputs = keras.layers.Activation("softmax", name="probabilities")(logits)
    return keras.Model(inputs, outputs)


SUBJECTS = {"cat": "meows", "dog": "barks", "bird": "sings", "cow": "moos"}
FILLERS = "the old small brown very quiet happy big red young".split()
SENTENCE_LENGTH = 6


def agreement_sentences(count, seed=0):
    """`subject filler... ` prefixes whose next word is the subject's verb,
    three to four words later: only the subject decides it."""
    rng = np.random.default_rng(seed)
    subjects = list(SUBJECTS)
    prefixes, next_words = [], []
    for _ in range(count):
        subject = subjects[rng.integers(len(subjects))]
        fillers = rng.choice(FILLERS, rng.integers(3, SENTENCE_LENGTH - 1))
        prefixes.append(" ".join([subject, *fillers]))
        next_words.append(SUBJECTS[subject])
    return np.array(prefixes), next_words


def train_next_word_model(seed=0):
    """TextVectorization, embedding, GRU and a softmax over the vocabulary."""
    keras.utils.set_random_seed(seed)
    prefixes, next_words = agreement_sentences(800, seed)
    vectorizer = keras.layers.TextVectorization(
        output_sequence_length=SENTENCE_LENGTH, name="vectorize"
    )
    vectorizer.adapt(list(prefixes) + next_words)
    vocabulary = vectorizer.get_vocabulary()
    inputs = keras.Input((), dtype="string", name="text")
    x = vectorizer(inputs)
    x = keras.layers.Embedding(len(vocabulary), 16, mask_zero=True, name="embedding")(x)
    x = keras.layers.GRU(24, name="gru")(x)
    logits = keras.layers.Dense(len(vocabulary), name="logits")(x)
    outputs = keras.layers.Activation("softmax", name="next_word")(logits)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    targets = np.array([vocabulary.index(word) for word in next_words])
    data = tf.data.Dataset.from_tensor_slices((prefixes, targets)).batch(32)
    model.fit(data, epochs=15, verbose=0)
    return model


SERIES_LENGTH = 30
SENSORS = 4
SIGNAL_SENSOR = 2


def wear_series(count, seed=0):
    """Sensor windows; only sensor 2 drifts with wear in the last steps, and
    the remaining life falls as the drift grows."""
    rng = np.random.default_rng(seed)
    readings = rng.normal(100.0, 5.0, (count, SERIES_LENGTH, SENSORS)).astype("float32")
    wear = rng.uniform(0, 1, count).astype("float32")
    ramp = np.clip(np.arange(SERIES_LENGTH) - (SERIES_LENGTH - 10), 0, None) / 10
    readings[:, :, SIGNAL_SENSOR] += 40 * wear[:, None] * ramp
    return readings, {"rul": 125 * (1 - wear), "failure": (wear > 0.8).astype("float32")}


def train_wear_model(seed=0):
    """Normalization, a 1-D CNN, and two heads: `rul` and `failure`."""
    keras.utils.set_random_seed(seed)
    readings, targets = wear_series(1024, seed)
    inputs = keras.Input((SERIES_LENGTH, SENSORS), name="readings")
    normalize = keras.layers.Normalization(name="normalize")
    normalize.adapt(readings)
    x = normalize(inputs)
    x = keras.layers.Conv1D(16, 5, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.Conv1D(16, 5, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalMaxPooling1D(name="pool")(x)
    rul = keras.layers.Dense(1, name="rul")(x)
    failure = keras.layers.Dense(1, activation="sigmoid", name="failure")(x)
    model = keras.Model(inputs, {"rul": rul, "failure": failure})
    model.compile("adam", {"rul": "mse", "failure": "binary_crossentropy"})
    model.fit(readings, targets, epochs=15, batch_size=32, verbose=0)
    return model


SAMPLE_RATE = 4000
CLIP = 2000
TONES = (300, 700, 1500)


def tones(count, seed=0):
    """Noisy half-second clips of a low, middle or high tone (classes 0, 1,
    2) sounding in a random stretch of the clip."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(TONES), count).astype("int32")
    time = np.arange(CLIP) / SAMPLE_RATE
    clips = rng.normal(0, 0.1, (count, CLIP)).astype("float32")
    for clip, label in zip(clips, labels, strict=True):
        start = rng.integers(0, CLIP // 2)
        frequency = TONES[label] * rng.uniform(0.95, 1.05)
        clip[start : start + CLIP // 2] += np.sin(2 * np.pi * frequency * time[: CLIP // 2])
    return clips, labels


def train_tone_classifier(seed=0):
    """A mel spectrogram layer, a channel axis named `log_mel`, and a 2-D CNN."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((CLIP,), name="waveform")
    mel = keras.layers.MelSpectrogram(
        fft_length=256, sequence_stride=64, sampling_rate=SAMPLE_RATE, num_mel_bins=32,
        name="mel",
    )(inputs)  # fmt: skip
    x = keras.layers.Permute((2, 1), name="time_major")(mel)
    x = keras.layers.Reshape((-1, 32, 1), name="log_mel")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
    outputs = keras.layers.Dense(len(TONES), activation="softmax", name="genre")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    clips, labels = tones(512, seed)
    model.fit(clips, labels, epochs=5, batch_size=32, verbose=0)
    return model


def embedding_model(classifier):
    """Unit-length embeddings from a trained shape classifier's pooled features."""
    pooled = classifier.get_layer("gap").output
    return keras.Model(classifier.inputs[0], keras.layers.UnitNormalization(name="embed")(pooled))


def train_autoencoder(seed=0):
    """A small convolutional autoencoder of the shape images."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="enc")(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="code")(x)
    x = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    outputs = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", name="restore")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    images, _, _ = shape_images(512, seed)
    model.fit(images, images, epochs=8, batch_size=32, verbose=0)
    return model
