"""The next-word language model: raw text in, a distribution over the
vocabulary after every token out; and the graphs that serve suggestions."""

import keras
import tensorflow as tf

import dlapps

# Ids the WordTokenizer reserves: padding, out of vocabulary, start of text.
# They are never suggested.
SPECIAL_IDS = (0, 1, 2)


def build_language_model(
    vocabulary,
    max_tokens,
    sequence_length,
    embedding_dim,
    units,
    cell,
    tie_embeddings,
    dropout,
    regularizer,
):
    """Text -> WordTokenizer -> embedding -> LSTM, GRU or CIFG LSTM ->
    logits over the vocabulary after each token (`(batch, time, vocab)`).

    With `tie_embeddings`, a "projection" layer maps the recurrent state to
    the embedding width and the output reuses the embedding matrix (Press &
    Wolf 2017); otherwise a "logits" layer has its own weights.
    """
    tokenizer = dlapps.layers.WordTokenizer(
        vocabulary, max_tokens=max_tokens, sequence_length=sequence_length, name="tokenizer"
    )
    size = tokenizer.vocabulary_size()
    text = keras.Input((), dtype="string", name="text")
    ids = tokenizer(text)
    embedding_class = keras.layers.ReversibleEmbedding if tie_embeddings else keras.layers.Embedding
    embedding = embedding_class(
        size, embedding_dim, embeddings_regularizer=regularizer, name="embedding"
    )
    x = keras.layers.Dropout(dropout, name="embedding_dropout")(embedding(ids))
    x = _recurrent_layer(cell, units, regularizer)(x)
    x = keras.layers.Dropout(dropout, name="rnn_dropout")(x)
    if tie_embeddings:
        x = keras.layers.Dense(embedding_dim, kernel_regularizer=regularizer, name="projection")(x)
        logits = embedding(x, reverse=True)
    else:
        logits = keras.layers.Dense(size, kernel_regularizer=regularizer, name="logits")(x)
    # Under a mixed-precision policy the loss still sees float32 logits.
    logits = keras.layers.Activation("linear", dtype="float32", name="logits_float32")(logits)
    return keras.Model(text, logits, name="next_word")


def _recurrent_layer(cell, units, regularizer):
    arguments = {"return_sequences": True, "name": "rnn"}
    if cell == "cifg":
        return keras.layers.RNN(
            dlapps.layers.CIFGLSTMCell(units, kernel_regularizer=regularizer), **arguments
        )
    layer = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
    return layer(
        units, kernel_regularizer=regularizer, recurrent_regularizer=regularizer, **arguments
    )


def next_word_head(model, ids, states, copy_tied_output=False):
    """Logits of the next word after the last real token of each row.

    Args:
        copy_tied_output: compute a tied output with a new layer holding a
            copy of the embedding matrix, instead of calling the embedding
            again. Keras cannot cut a model at a layer's output when that
            layer is called again further on, and explanations cut the
            model at the embedding.
    """
    last = dlapps.layers.LastToken(name="last_token")([states, ids])
    if "projection" not in {layer.name for layer in model.layers}:
        return model.get_layer("logits")(last)
    embedding = model.get_layer("embedding")
    projected = model.get_layer("projection")(last)
    if not copy_tied_output:
        return embedding(projected, reverse=True)
    output = keras.layers.Dense(embedding.input_dim, use_bias=False, name="tied_output")
    logits = output(projected)
    output.set_weights([keras.ops.transpose(embedding.embeddings)])
    return logits


def build_suggestion_model(model, for_explanation=False):
    """A model sharing `model`'s layers: text -> probabilities of the next
    word after the whole text, `(batch, vocab)`. Only the last token's
    state goes through the output layer, which keeps serving fast.

    Args:
        for_explanation: a model that Keras can cut at the embedding (see
            `next_word_head`); build it anew for each explanation, as its
            tied output is a copy.
    """
    text = keras.Input((), dtype="string", name="text")
    ids = model.get_layer("tokenizer")(text)
    states = model.get_layer("rnn")(model.get_layer("embedding")(ids))
    logits = next_word_head(model, ids, states, copy_tied_output=for_explanation)
    probabilities = keras.layers.Softmax(name="next_word", dtype="float32")(logits)
    return keras.Model(text, probabilities, name="next_word_suggestions")


def ids_to_probabilities(model, ids):
    """Probabilities of the next word after token ids `(batch, time)`,
    right-padded with 0 and starting with the start id."""
    states = model.get_layer("rnn")(model.get_layer("embedding")(ids))
    return tf.nn.softmax(tf.cast(next_word_head(model, ids, states), "float32"))


def top_suggestions(probabilities, vocabulary, k):
    """The `k` most probable words that are not special tokens, and their
    probabilities: `(words, word_ids, probabilities)`, each `(batch, k)`."""
    size = len(vocabulary)
    special = tf.reduce_sum(tf.one_hot(SPECIAL_IDS, size), axis=0)
    # -1 puts the special tokens below every word; their probability is kept.
    scores = probabilities - special
    _, word_ids = tf.math.top_k(scores, k)
    words = tf.gather(tf.constant(vocabulary), word_ids)
    return words, word_ids, tf.gather(probabilities, word_ids, batch_dims=1)
