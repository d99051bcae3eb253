"""Targets: the one number per input that an explanation attributes.

A target turns a model's output into a per-sample score. Class targets
explain the class logit when the model ends in a softmax (gradients of a
saturated probability vanish) and report the probability; the other targets
explain and report the same number.

Every target has, given a `ModelView` (the model seen from the explained
representation):
    `prepare(view)`: resolves per-sample choices (the predicted class) once,
        so the model with randomized weights explains the same thing;
    `score_model(view)`: the Keras model whose single output `score()` reads;
    `score(output)`: per-sample scores, shape `(batch,)`; a batch may hold
        several whole copies of the explained inputs (noisy or interpolated);
    `value_model(view)`, `value(output)`, `describe(values)`: the reported
        prediction, per input.
"""

import copy

import keras
import numpy as np
import tensorflow as tf

from dlapps.errors import ConfigError


class Target:
    """What an explanation attributes; subclasses override the hooks."""

    def prepare(self, view):
        return self

    def score_model(self, view):
        return _single_output(view, None)

    def score(self, output):
        return tf.reshape(tf.cast(output, "float32"), (tf.shape(output)[0], -1))[:, 0]

    def value_model(self, view):
        return self.score_model(view)

    def value(self, output):
        return np.asarray(self.score(output))

    def describe(self, values):
        return [f"{value:.4g}" for value in values]

    def __repr__(self):
        fields = ", ".join(
            f"{key}={_short_repr(value)}"
            for key, value in vars(self).items()
            if not key.startswith("_")
        )
        return f"{type(self).__name__}({fields})"


class ClassScore(Target):
    """The score of a class, by index.

    Args:
        index: a class index, one index per input, or `None` for each input's
            predicted class.
        class_names: names shown in figure titles.
        logits: explain the pre-softmax logit (recommended); the probability
            is reported either way.
    """

    def __init__(self, index=None, class_names=None, logits=True):
        self.index = index
        self.class_names = list(class_names) if class_names is not None else None
        self.logits = logits
        self._indices = None

    def prepare(self, view):
        outputs = view.outputs_of(_single_output(view, None))
        if outputs.ndim != 2 or outputs.shape[1] < 2:
            raise ConfigError(
                "ClassScore explains models with one score per class. Received: "
                f"output shape={outputs.shape}"
            )
        if self.index is None:
            indices = outputs.argmax(axis=1)
        else:
            indices = np.broadcast_to(np.asarray(self.index, "int64"), (len(outputs),))
        if indices.min() < 0 or indices.max() >= outputs.shape[1]:
            raise ConfigError(
                f"Class index out of range 0..{outputs.shape[1] - 1}. Received: index={self.index}"
            )
        prepared = copy.copy(self)
        prepared._indices = np.array(indices, "int64")
        return prepared

    def score_model(self, view):
        return _logits_model(view) if self.logits else _single_output(view, None)

    def score(self, output):
        output = tf.cast(output, "float32")
        return tf.gather(output, _per_sample(self._indices, output), axis=1, batch_dims=1)

    def value_model(self, view):
        return _single_output(view, None)

    def value(self, output):
        probabilities = np.asarray(output, "float32")
        return probabilities[np.arange(len(probabilities)), self._indices]

    def describe(self, values):
        return [f"{self._name(i)} (p={v:.2f})" for i, v in zip(self._indices, values, strict=True)]

    def _name(self, index):
        return self.class_names[index] if self.class_names else f"class {index}"


class OutputValue(Target):
    """A regression output, e.g. remaining useful life.

    Args:
        output: the name of the output layer (models with several outputs);
            `None` for a single-output model.
        index: the column of that output.
        label: the quantity's name in figure titles, e.g. `"RUL"`.
    """

    def __init__(self, output=None, index=0, label="output"):
        self.output = output
        self.index = index
        self.label = label

    def score_model(self, view):
        return _single_output(view, self.output)

    def score(self, output):
        output = tf.cast(output, "float32")
        return tf.reshape(output, (tf.shape(output)[0], -1))[:, self.index]

    def describe(self, values):
        return [f"{self.label} = {value:.4g}" for value in values]


class NextWordProbability(ClassScore):
    """The probability of a given next word, for language models whose
    output is a distribution over their vocabulary.

    Args:
        word: the word, one word per input, or `None` for each input's most
            likely next word.
        vocabulary: the model's vocabulary; read from the model's
            `TextVectorization` or `StringLookup` layer when `None`.
    """

    def __init__(self, word=None, vocabulary=None, logits=True):
        super().__init__(None, vocabulary, logits)
        self.word = word

    def prepare(self, view):
        vocabulary = self.class_names or view.vocabulary
        if vocabulary is None:
            raise ConfigError(
                "NextWordProbability needs a vocabulary: the model has no "
                "TextVectorization or StringLookup layer. Received: vocabulary=None"
            )
        words = [self.word] if isinstance(self.word, str) else self.word
        for word in words if words is not None else ():
            if word not in vocabulary:
                raise ConfigError(
                    f"The word is not in the model's vocabulary. Received: word={word!r}"
                )
        resolved = copy.copy(self)
        resolved.class_names = vocabulary
        if words is not None:
            index = [vocabulary.index(word) for word in words]
            resolved.index = index[0] if isinstance(self.word, str) else index
        return super(NextWordProbability, resolved).prepare(view)

    def _name(self, index):
        return f"next word {self.class_names[index]!r}"


class ReconstructionError(Target):
    """The mean squared reconstruction error of an autoencoder, per input:
    which parts of the input the model fails to restore."""

    def score_model(self, view):
        reconstruction = _the_output(view)
        error = _SquaredError(name="reconstruction_error")([view.start[0], reconstruction])
        return view.part(error)

    def score(self, output):
        return tf.cast(output, "float32")

    def describe(self, values):
        return [f"reconstruction MSE = {value:.4g}" for value in values]


class PairSimilarity(Target):
    """The similarity of two inputs under an embedding model (face
    verification): explained once per side, each against the other's
    embedding, so each image shows the regions that drove the match.

    Args:
        threshold: the decision threshold shown in titles (e.g. unlock).
    """

    def __init__(self, threshold=None):
        self.threshold = threshold

    def describe(self, values):
        if self.threshold is None:
            return [f"similarity = {value:.3f}" for value in values]
        return [
            f"similarity = {value:.3f} ({'match' if value >= self.threshold else 'no match'})"
            for value in values
        ]


class SimilarityTo(Target):
    """The dot product of a model's embedding with fixed reference
    embeddings, one per input; used for each side of a `PairSimilarity`."""

    def __init__(self, references):
        self.references = np.asarray(references, "float32")

    def score(self, output):
        output = tf.reshape(tf.cast(output, "float32"), (tf.shape(output)[0], -1))
        return tf.reduce_sum(output * _per_sample(self.references, output), axis=1)


def resolve_target(target, view, class_names=None):
    """Turns `target` (`None`, a class index, or a `Target`) into a `Target`
    prepared for `view`."""
    if target is None or isinstance(target, int | np.integer | list | tuple | np.ndarray):
        outputs = _the_output(view)
        if target is None and (len(outputs.shape) < 2 or outputs.shape[-1] in (None, 1)):
            target = OutputValue()
        else:
            target = ClassScore(target, class_names)
    if not isinstance(target, Target):
        raise ConfigError(
            "An explanation target is a class index or a dlapps.explainers Target. "
            f"Received: target={target!r}"
        )
    return target.prepare(view)


def _short_repr(value):
    """`repr`, but a vocabulary or an array is summarized by its length."""
    if isinstance(value, list | tuple | np.ndarray) and len(value) > 8:
        return f"<{len(value)} values>"
    return repr(value)


def find_vocabulary(model):
    """The vocabulary of the first `TextVectorization` or `StringLookup` layer."""
    for layer in _walk_layers(model):
        if hasattr(layer, "get_vocabulary"):
            return [str(token) for token in layer.get_vocabulary()]
    return None


def _walk_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _walk_layers(layer)


def _per_sample(values, output):
    """`values` (one row per explained input) repeated over a batch made of
    whole copies of the explained batch, as noisy or interpolated inputs are."""
    values = tf.constant(values)
    return tf.gather(values, tf.range(tf.shape(output)[0]) % tf.shape(values)[0])


def _the_output(view):
    """The model's one output tensor; several outputs need a named target."""
    if len(view.model.outputs) != 1:
        raise ConfigError(
            "The model has several outputs; name the one to explain, e.g. "
            f"target=OutputValue(output=...). Received: outputs={len(view.model.outputs)}"
        )
    return view.model.outputs[0]


def _single_output(view, name):
    if name is not None:
        return view.part(view.model.get_layer(name).output)
    _the_output(view)
    return view.head


def _logits_model(view):
    """The model up to its final softmax."""
    head = _single_output(view, None)
    last = view.model.layers[-1]
    if getattr(last, "activation", None) is not keras.activations.softmax:
        return head
    if isinstance(last, keras.layers.Activation):
        return view.part(last.input)
    clone = keras.models.clone_model(
        head,
        clone_function=lambda layer: layer.__class__.from_config(
            {**layer.get_config(), "activation": "linear"} if layer is last else layer.get_config()
        ),
    )
    clone.set_weights(head.get_weights())
    return clone


class _SquaredError(keras.layers.Layer):
    """Per-sample mean squared difference of two tensors (explanations only)."""

    def call(self, inputs):
        reference, reconstruction = inputs
        difference = tf.cast(reconstruction, "float32") - tf.cast(reference, "float32")
        return tf.reduce_mean(tf.reshape(tf.square(difference), (tf.shape(difference)[0], -1)), 1)
