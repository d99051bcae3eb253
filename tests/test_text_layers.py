"""The text layers: WordTokenizer, LastToken and the CIFG LSTM cell."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import dlapps


def vocabulary_ids(tokenizer, words):
    vocabulary = tokenizer.get_vocabulary()
    return [vocabulary.index(word) if word in vocabulary else 1 for word in words]


def test_tokenizer_reads_lowercase_words_and_punctuation_after_a_start_token():
    tokenizer = dlapps.layers.WordTokenizer(["the", "cat", ",", "don't", "ärger", "!"])
    assert tokenizer.get_vocabulary()[:4] == ["", "[UNK]", "<s>", "the"]
    ids = np.asarray(tokenizer(tf.constant(["The CAT, don't sit!", "ÄRGER", ""])))
    words = ["the", "cat", ",", "don't", "sit", "!"]
    assert ids[0].tolist() == [2, *vocabulary_ids(tokenizer, words)]
    assert ids[0][5] == 1  # "sit" is out of the vocabulary
    assert ids[1].tolist() == [2, vocabulary_ids(tokenizer, ["ärger"])[0], 0, 0, 0, 0, 0]
    assert ids[2].tolist() == [2, 0, 0, 0, 0, 0, 0]


def test_tokenizer_keeps_the_last_tokens_of_a_long_text():
    tokenizer = dlapps.layers.WordTokenizer(["a", "b", "c"], sequence_length=3)
    ids = np.asarray(tokenizer(tf.constant(["a b c a b", "c"])))
    assert ids.tolist() == [[2, 3, 4], [2, 5, 0]]  # "a b" after the start; "c"


def test_tokenizer_adapts_to_the_most_frequent_words():
    tokenizer = dlapps.layers.WordTokenizer(max_tokens=5)
    tokenizer.adapt(["b b b a a c", "B. a"])
    assert tokenizer.get_vocabulary() == ["", "[UNK]", "<s>", "b", "a"]
    assert tokenizer.vocabulary_size() == 5


def test_tokenizer_round_trips_in_a_saved_model_with_its_vocabulary(tmp_path):
    tokenizer = dlapps.layers.WordTokenizer(["hello", "world", "!"], sequence_length=8)
    text = keras.Input((), dtype="string")
    model = keras.Model(text, tokenizer(text))
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    inputs = tf.constant(["Hello, world!", "world hello"])
    np.testing.assert_array_equal(loaded(inputs), model(inputs))
    assert loaded.layers[1].get_vocabulary() == tokenizer.get_vocabulary()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_tokens": 3}, "Received: max_tokens=3"),
        ({"sequence_length": 1}, "Received: sequence_length=1"),
        ({"start_token": "start"}, "Received: start_token='start'"),
    ],
)
def test_tokenizer_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        dlapps.layers.WordTokenizer(**arguments)


def test_last_token_picks_each_rows_last_real_token():
    outputs = np.arange(2 * 4 * 2, dtype="float32").reshape(2, 4, 2)
    ids = np.array([[2, 7, 9, 0], [2, 0, 0, 0]])
    last = np.asarray(dlapps.layers.LastToken()([outputs, ids]))
    np.testing.assert_array_equal(last, [outputs[0, 2], outputs[1, 0]])


def test_cifg_cell_couples_the_forget_gate_to_the_input_gate():
    cell = dlapps.layers.CIFGLSTMCell(3)
    cell.build((None, 2))
    kernel = np.zeros((2, 9), "float32")
    kernel[0, :3] = 100.0  # input 1 opens the input gate fully
    kernel[0, 3:6] = 100.0  # and makes the candidate 1
    cell.set_weights([kernel, np.zeros((3, 9), "float32"), np.zeros(9, "float32")])
    cell_state = np.full((1, 3), 0.5, "float32")
    hidden = np.zeros((1, 3), "float32")
    _, (_, kept) = cell(np.array([[0.0, 1.0]], "float32"), [hidden, cell_state])
    # Input gate 0.5: the forget gate is 0.5 too, candidate tanh(0) = 0.
    np.testing.assert_allclose(kept, 0.25, rtol=1e-6)
    _, (_, written) = cell(np.array([[1.0, 0.0]], "float32"), [hidden, cell_state])
    # Input gate 1: the forget gate is 0, so the old cell state is gone.
    np.testing.assert_allclose(written, np.tanh(100.0), rtol=1e-6)
    assert len(cell.weights) == 3 and cell.kernel.shape == (2, 9)


def test_cifg_cell_learns_in_an_rnn_and_reloads(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5, 2))
    states = keras.layers.RNN(dlapps.layers.CIFGLSTMCell(8))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(states))
    x = np.random.default_rng(0).normal(size=(256, 5, 2)).astype("float32")
    y = x[:, 0, :1]  # remember the first step
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(x[:4]), model(x[:4]), rtol=1e-5, atol=1e-6)
