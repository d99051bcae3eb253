"""WordTokenizer: raw text to word ids, for language models that serve raw strings."""

import keras
import tensorflow as tf

# Anything but a letter, a digit, whitespace or an apostrophe is a token of
# its own, so "Hello, world!" reads "hello , world !" and "don't" one word.
_PUNCTUATION = r"([^\pL\pN\s'’])"


@keras.saving.register_keras_serializable(package="dlapps")
class WordTokenizer(keras.layers.Layer):
    """Turns strings into the ids of their last words, after a start token.

    Text is lowercased, every punctuation mark becomes a token of its own,
    and words are split on whitespace and looked up in the vocabulary with a
    `keras.layers.StringLookup`. Id 0 is padding, 1 the out-of-vocabulary
    token `"[UNK]"`, 2 the `start_token` that begins every sequence, so a
    model reading the ids predicts the first word too. Each row keeps its
    last `sequence_length - 1` tokens and is right-padded with 0 to the
    longest row of the batch.

    The vocabulary travels in the layer's config, so `model.keras` and
    exported SavedModels carry it. `adapt` learns it from text.

    Args:
        vocabulary: the words, most frequent first, without the padding,
            out-of-vocabulary and start tokens; empty until `adapt`.
        max_tokens: the largest vocabulary `adapt` keeps, special tokens
            included, >= 4.
        sequence_length: the most ids a row holds, start token included, >= 2.
        start_token: the token that begins every sequence.
        **kwargs: base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: a string tensor shaped `(batch,)`, one text per row.

    Returns:
        int32 ids shaped `(batch, length)` with `length <= sequence_length`.

    Examples:

    >>> tokenizer = dlapps.layers.WordTokenizer(max_tokens=1000)
    >>> tokenizer.adapt(["The cat sat.", "The dog barked!"])
    >>> tokenizer(["the cat barked"])   # [[2, <the>, <cat>, <barked>]]
    """

    def __init__(
        self,
        vocabulary=(),
        max_tokens=20000,
        sequence_length=64,
        start_token="<s>",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(max_tokens, int) or max_tokens < 4:
            raise ValueError(
                f"WordTokenizer argument `max_tokens` must be an integer >= 4. "
                f"Received: max_tokens={max_tokens!r}"
            )
        if not isinstance(sequence_length, int) or sequence_length < 2:
            raise ValueError(
                f"WordTokenizer argument `sequence_length` must be an integer >= 2. "
                f"Received: sequence_length={sequence_length!r}"
            )
        if not any(not (c.isalnum() or c.isspace() or c in "'’") for c in str(start_token)):
            # A start token a user could type would be read as the start.
            raise ValueError(
                "WordTokenizer argument `start_token` must not be a word the tokenizer can "
                f"read from text. Received: start_token={start_token!r}"
            )
        self.max_tokens = max_tokens
        self.sequence_length = sequence_length
        self.start_token = start_token
        self.lookup = keras.layers.StringLookup(
            mask_token="", oov_token="[UNK]", name="lookup", dtype="string"
        )
        self._vocabulary = []
        self.set_vocabulary(list(vocabulary))

    def set_vocabulary(self, words):
        """Sets the vocabulary: `words`, most frequent first, without the
        special tokens; at most `max_tokens - 3` are kept."""
        words = [str(word) for word in words][: self.max_tokens - 3]
        self._vocabulary = words
        self.lookup.set_vocabulary([self.start_token, *words])

    def adapt(self, data, batch_size=256):
        """Learns the `max_tokens - 3` most frequent words of `data`: an
        iterable of strings or a `tf.data.Dataset` of strings."""
        if not isinstance(data, tf.data.Dataset):
            data = tf.data.Dataset.from_tensor_slices(tf.constant(list(data), tf.string))
        if data.element_spec.shape.rank == 0:
            data = data.batch(batch_size)
        counter = keras.layers.StringLookup(
            max_tokens=self.max_tokens - 1, mask_token="", oov_token="[UNK]"
        )
        counter.adapt(data.map(lambda text: tokenize_text(text).flat_values))
        self.set_vocabulary([w for w in counter.get_vocabulary(include_special_tokens=False) if w])

    def get_vocabulary(self):
        """Every token by id: `["", "[UNK]", start_token, words...]`."""
        return ["", "[UNK]", self.start_token, *self._vocabulary]

    def vocabulary_size(self):
        return len(self._vocabulary) + 3

    def build(self, input_shape):
        # The lookup table is built from the vocabulary, not the input shape.
        self.built = True

    def tokens(self, inputs):
        """The lowercased tokens of each string, as a ragged string tensor."""
        return tokenize_text(tf.convert_to_tensor(inputs, tf.string))

    def call(self, inputs):
        tokens = self.tokens(inputs)
        ids = tf.cast(self.lookup(tokens), "int32")
        ids = ids[:, -(self.sequence_length - 1) :]
        start = tf.fill([ids.nrows(), 1], tf.constant(2, "int32"))
        return tf.concat([start, ids], axis=1).to_tensor(0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], None)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor((inputs.shape[0], None), dtype="int32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary": list(self._vocabulary),
                "max_tokens": self.max_tokens,
                "sequence_length": self.sequence_length,
                "start_token": self.start_token,
            }
        )
        return config


def tokenize_text(text):
    """Lowercases `text` (a string tensor) and splits it into words and
    punctuation marks; returns a ragged string tensor."""
    text = tf.strings.lower(text, encoding="utf-8")
    return tf.strings.split(tf.strings.regex_replace(text, _PUNCTUATION, r" \1 "))
