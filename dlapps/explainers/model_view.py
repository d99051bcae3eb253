"""The view of a model that explanations attribute to.

Models take raw inputs (waveforms, strings, sensor readings), but attributions
are read on a representation a person can look at: the image, the
spectrogram, the tokens. A `ModelView` splits the model at that
representation (the output of a named layer) into an extractor and a head,
and maps attributions back onto what is shown.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from dlapps.errors import ConfigError
from dlapps.explainers.registry import LAYOUTS
from dlapps.explainers.targets import find_vocabulary


@dataclasses.dataclass
class ModelView:
    """A model seen from the representation being explained.

    Args:
        model: the whole model, from raw inputs.
        start: the tensors explained from: the model's inputs, or the output
            of a layer inside it.
        features: the representation of the explained inputs at `start`, `float32`.
        shown: what the figure shows, one element per attribution.
        layout: how `shown` is laid out, one of `LAYOUTS`.
        vocabulary: the model's vocabulary, for text models.
        side: values of further `start` tensors the head needs but that are
            not explained, one row per input: the token ids an embedding
            reads, from which a mask or the last token's position is computed.
    """

    model: keras.Model
    start: list
    features: np.ndarray
    shown: np.ndarray
    layout: str
    vocabulary: list | None = None
    side: list = dataclasses.field(default_factory=list)
    _parts: dict = dataclasses.field(default_factory=dict, repr=False)
    _outputs: dict = dataclasses.field(default_factory=dict, repr=False)

    def part(self, outputs):
        """The model from `start` to `outputs`, tensors of `model`'s graph."""
        key = tuple(id(tensor) for tensor in keras.tree.flatten(outputs))
        if key not in self._parts:
            self._parts[key] = self._build_part(outputs)
        return self._parts[key]

    def _build_part(self, outputs):
        if not self.side:
            start = self.start[0] if len(self.start) == 1 else self.start
            return keras.Model(start, outputs)
        # One input, the explained one; the side inputs are fed as fixed values.
        inner = keras.Model(self.start, outputs)
        features = keras.Input(self.features.shape[1:], name="features")
        fixed = [_FixedPerInput(values)(features) for values in self.side]
        return keras.Model(features, inner([features, *fixed]))

    @property
    def valid(self):
        """Where `shown` holds input rather than padding; `None` for everywhere."""
        return self.shown != "" if self.layout == "tokens" else None

    def outputs_of(self, model):
        """`model(features)` as arrays, computed once per model."""
        if id(model) not in self._outputs:
            outputs = model(self.features, training=False)
            self._outputs[id(model)] = keras.tree.map_structure(np.asarray, outputs)
        return self._outputs[id(model)]

    @property
    def head(self):
        """The model from `start` to the model's outputs."""
        if _same_tensors(self.start, self.model.inputs):
            return self.model
        return self.part(self.model.outputs)

    def to_shown(self, attributions):
        """Maps attributions over `features` (or a map without the channel
        axis) onto the shape of `shown`."""
        attributions = np.asarray(attributions, "float32")
        if self.layout == "tokens" and attributions.ndim == self.shown.ndim + 1:
            # Per token: the embedding dimensions together, as in Integrated Gradients.
            return attributions.sum(axis=-1)
        if attributions.size == self.shown.size:
            return attributions.reshape(self.shown.shape)
        if attributions.ndim == self.shown.ndim - 1:
            attributions = np.broadcast_to(attributions[..., None], self.shown.shape)
        if attributions.shape != self.shown.shape:
            raise ValueError(
                f"Attributions do not align with the explained input {self.shown.shape}. "
                f"Received: attributions.shape={attributions.shape}"
            )
        return np.ascontiguousarray(attributions)


def view_model(model, inputs, features=None, layout=None):
    """Splits `model` at the output of layer `features` (the raw inputs when
    `None`) and computes the representation of `inputs` there.

    Args:
        model: a functional Keras model.
        inputs: a batch of raw inputs.
        features: the name of the layer whose output is explained, e.g. a
            log-mel spectrogram or a token embedding.
        layout: one of `LAYOUTS`; inferred from the representation when `None`.
    """
    side, ids = [], None
    if features is None:
        start, values, layer = model.inputs, _as_float_array(inputs), None
    else:
        layer = _get_layer(model, features)
        layer_input, layer_output = _first_call(model, layer)
        start = [layer_output]
        if isinstance(layer, keras.layers.Embedding):
            extractor = keras.Model(model.inputs, [layer_output, layer_input])
            values, ids = (np.asarray(x) for x in extractor(_as_tensor(inputs), training=False))
        else:
            values = keras.Model(model.inputs, layer_output)(_as_tensor(inputs), training=False)
        values = np.asarray(values, "float32")
        if ids is not None:
            # Layers after an embedding may read its input ids: a masking
            # embedding's mask, or where each row's last token is.
            start.append(layer_input)
            side.append(ids)
    layout = layout or _infer_layout(layer, values)
    if layout not in LAYOUTS:
        raise ConfigError(f"Unknown layout. Expected one of {LAYOUTS}. Received: layout={layout!r}")
    shown = values
    vocabulary = find_vocabulary(model)
    if layout == "tokens":
        shown = _tokens(ids, vocabulary)
    elif layout == "spectrogram" and values.ndim == 4 and values.shape[-1] == 1:
        shown = values[..., 0]
    return ModelView(model, start, values, shown, layout, vocabulary, side)


def _first_call(model, layer):
    """The input and output tensors of `layer`'s call nearest `model`'s
    inputs. A layer shared between models, or called twice in one (a tied
    embedding also computes the output logits), has several calls; its
    `input` and `output` are those of its first call, in whichever model."""
    # Keras keeps a functional model's calls by depth, the inputs deepest.
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.operation is layer:
                inputs = node.input_tensors
                return inputs[0] if len(inputs) == 1 else inputs, node.output_tensors[0]
    return layer.input, layer.output


def _same_tensors(first, second):
    return len(first) == len(second) and all(a is b for a, b in zip(first, second, strict=True))


def _tokens(ids, vocabulary):
    if ids is None or vocabulary is None:
        raise ConfigError(
            "The tokens layout needs features=<an Embedding layer> in a model with a "
            "TextVectorization or StringLookup layer. Received: "
            f"{'no embedding' if ids is None else 'no vocabulary'}"
        )
    return np.asarray(vocabulary, dtype=object)[ids.astype("int64")]


def _infer_layout(layer, values):
    if isinstance(layer, keras.layers.Embedding):
        return "tokens"
    return {4: "image", 3: "series"}.get(values.ndim, "tabular")


def _get_layer(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        names = ", ".join(layer.name for layer in model.layers)
        raise ConfigError(
            f"The model has no layer to explain from; its layers are: {names}. "
            f"Received: features={name!r}"
        ) from None


def _as_tensor(inputs):
    if isinstance(inputs, tf.Tensor):
        return inputs
    array = np.asarray(inputs)
    if array.dtype.kind in "USO":
        return tf.constant(array.astype(str))
    return tf.constant(array)


def _as_float_array(inputs):
    array = np.asarray(inputs)
    if array.dtype.kind not in "fiub":
        raise ConfigError(
            "Explaining non-numeric inputs needs features=<layer> naming where the "
            f"numeric representation starts. Received: inputs of dtype {array.dtype}"
        )
    return array.astype("float32")


class _FixedPerInput(keras.layers.Layer):
    """Outputs fixed values, one row per explained input, repeated over a
    batch made of whole copies of the explained batch (explanations only)."""

    def __init__(self, values, **kwargs):
        super().__init__(**kwargs)
        self.values = values

    def call(self, inputs):
        rows = tf.range(tf.shape(inputs)[0]) % len(self.values)
        return tf.gather(tf.constant(self.values), rows)
