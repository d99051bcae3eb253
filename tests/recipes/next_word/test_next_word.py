import json
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import dlapps
from dlapps import testing
from dlapps.cli import main
from dlapps.recipes.next_word import next_word_metrics as metrics
from dlapps.recipes.next_word.next_word_synthesis import make_text

# A small model trained long enough to rank words with clear margins.
SMALL = {
    "epochs": 2,
    "sentences": 2000,
    "validation_sentences": 200,
    "units": 32,
    "embedding_dim": 16,
    "vocabulary_size": 200,
    "sequence_length": 16,
    "batch_size": 32,
}
MESSAGES = [
    "Hello Ana, are you coming to the party tonight?",
    "Yes! I'll bring the cake, and the candles too.",
    "See you at the station at seven.",
    "Don't forget the tickets, please.",
    "Running late: the train is stuck behind another train.",
    "Thanks for the lovely evening!",
] * 5


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    recipe = dlapps.load_recipe("next_word", **SMALL)
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir=tmp_path_factory.mktemp("words") / "run", verbose=0)
    return recipe, val


@pytest.fixture(scope="module")
def prefixes():
    """Held-out texts cut after each of their words: what a user has typed."""
    cut = []
    for line in make_text(40, seed=99):
        words = line.split()
        cut += [" ".join(words[:end]) for end in range(1, len(words))]
    return cut


def test_model_reads_training_windows_back_into_their_targets(fitted):
    recipe, val = fitted
    texts, targets = next(iter(val))
    ids = np.asarray(recipe.model.get_layer("tokenizer")(texts))
    targets = np.asarray(targets)
    # Ids after the start token are the targets: each token predicts the next.
    assert ids.shape == targets.shape
    np.testing.assert_array_equal(ids[:, 1:], targets[:, :-1])
    assert (ids[:, 0] == 2).all() and (targets[ids == 0] == 0).all()


def test_evaluate_reports_keyboard_metrics_beside_the_trigram_baseline(fitted):
    recipe, val = fitted
    results = recipe.evaluate(val)
    for name in recipe.metric_names:
        assert f"baseline_{name}" in results
    assert 1 < results["perplexity"] < len(recipe.vocabulary)
    assert 0 < results["top1_accuracy"] <= results["top3_accuracy"] < 1
    assert 0 < results["keystroke_savings"] < 1
    assert results["tokens"] > 1000


def test_keystroke_savings_counts_the_characters_of_suggested_words():
    scores = metrics.NextWordScores()
    # Targets 5 ("hello", 5 chars, suggested first), 6 ("to", 2, suggested
    # third), 7 ("you", 3, not suggested).
    scores.add(
        np.log([0.5, 0.25, 0.125]),
        [[5, 9, 8], [4, 3, 6], [3, 4, 5]],
        [5, 6, 7],
        [5, 2, 3],
    )
    results = scores.results()
    assert results["top1_accuracy"] == pytest.approx(1 / 3)
    assert results["top3_accuracy"] == pytest.approx(2 / 3)
    assert results["keystroke_savings"] == pytest.approx(7 / 10)
    assert results["perplexity"] == pytest.approx(1 / (0.5 * 0.25 * 0.125) ** (1 / 3))


def test_predict_suggests_words_never_special_tokens(fitted):
    recipe, _ = fitted
    results = recipe.predict(["the old dogs near the red clock that the child saw", ""])
    for result in results:
        assert len(result["words"]) == recipe.config.suggestions
        assert not {"", "[UNK]", "<s>"} & set(result["words"])
        assert result["probabilities"] == sorted(result["probabilities"], reverse=True)
    # A sentence starts with a determiner in the synthetic grammar.
    assert results[1]["words"][0] in {"the", "a", "this", "that", "my", "our", "these",
                                      "those", "some"}  # fmt: skip


def test_saved_model_suggest_takes_raw_strings_and_matches_predict(fitted, prefixes, tmp_path):
    recipe, _ = fitted
    path = recipe.export(tmp_path / "export")
    suggest = tf.saved_model.load(str(path)).signatures["suggest"]
    texts = ["The OLD dogs, near the red clock that the child saw", *prefixes[:50]]
    outputs = suggest(text=tf.constant(texts))
    assert outputs["words"].dtype == tf.string
    expected = recipe.predict(texts)
    for words, probabilities, result in zip(
        outputs["words"].numpy(), outputs["probabilities"].numpy(), expected, strict=True
    ):
        assert [w.decode() for w in words] == result["words"]
        np.testing.assert_allclose(probabilities, result["probabilities"], atol=1e-6)


def test_tflite_agrees_with_the_saved_model_on_held_out_prefixes(fitted, prefixes, tmp_path):
    recipe, _ = fitted
    path = recipe.export(tmp_path / "words.tflite", format="tflite")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    runner = interpreter.get_signature_runner("suggest_ids")
    expected = recipe.predict(prefixes)
    agree = 0
    for text, result in zip(prefixes, expected, strict=True):
        ids = recipe.token_ids([text]).astype("int32")
        words = [w.decode() for w in runner(token_ids=ids)["words"][0]]
        agree += words == result["words"]
    assert len(prefixes) > 300
    assert agree / len(prefixes) >= 0.99


def test_explanation_shades_the_words_of_the_text(fitted, tmp_path):
    recipe, _ = fitted
    text = "the old dogs near the red clock that the child saw"
    explanation = recipe.explain([text], sanity_check=True)
    assert explanation.kind == "tokens"
    assert list(explanation.inputs[0]) == ["<s>", *text.split()]
    assert explanation.attributions.shape == (1, len(text.split()) + 1)
    top = recipe.predict([text])[0]["words"][0]
    assert explanation.labels[0].startswith(f"next word {top!r}")
    assert explanation.extras["completeness"]["passed"]
    other = recipe.explain([text], target="barks")
    assert other.labels[0].startswith("next word 'barks'")
    assert explanation.save(tmp_path / "why.png").stat().st_size > 1000


def test_text_file_trains_and_the_cli_predicts_and_explains(tmp_path, capsys):
    text = tmp_path / "messages.txt"
    text.write_text("\n".join(MESSAGES) + "\n", encoding="utf-8")
    run = tmp_path / "run"
    settings = ["--set", "units=8", "--set", "embedding_dim=8", "--set", "validation_fraction=0.3"]
    assert main(["train", "next_word", "--data", str(text), "--epochs", "1", "--out", str(run),
                 *settings]) == 0  # fmt: skip
    recipe = dlapps.load_run(run)
    train, val = recipe.load_data(text)
    train_texts = {t.decode() for texts, _ in train for t in texts.numpy()}
    val_texts = {t.decode() for texts, _ in val for t in texts.numpy()}
    assert train_texts and val_texts and not train_texts & val_texts  # repeated lines stay together
    words = {word for t in train_texts for word in t.split()}
    assert words <= set(recipe.vocabulary)  # learned from the training lines only
    assert {"see", "the", "!", ",", "."} & words and {"don't", "i'll"} & (words | {
        word for t in val_texts for word in t.split()})  # fmt: skip
    capsys.readouterr()
    assert main(["predict", str(run), "see you at the", "Thanks for"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["input"] for line in lines] == ["see you at the", "Thanks for"]
    assert all(len(line["words"]) == 3 for line in lines)
    assert main(["explain", str(run), "see you at the", "--out", str(tmp_path / "why")]) == 0
    assert (tmp_path / "why" / "integrated_gradients.png").exists()
    assert main(["evaluate", str(run)]) == 0
    assert "baseline_top3_accuracy" in capsys.readouterr().out


def test_folder_of_documents_is_split_by_file(tmp_path):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    for index in range(10):
        (folder / "sub" / f"note{index}.txt").write_text(
            f"Note {index}.\n" + "\n".join(MESSAGES[index : index + 3]), encoding="utf-8"
        )
    (folder / "ignored.md").write_text("not text", encoding="utf-8")
    recipe = dlapps.load_recipe("next_word", split="document", validation_fraction=0.3,
                                sequence_length=8)  # fmt: skip
    train, val = recipe.load_data(folder)
    train_texts = {t.decode() for texts, _ in train for t in texts.numpy()}
    val_texts = {t.decode() for texts, _ in val for t in texts.numpy()}
    notes = {int(t.split()[1]) for t in train_texts | val_texts if t.startswith("note ")}
    assert notes == set(range(10))  # every document, each cut into windows of 7 tokens
    train_notes = {int(t.split()[1]) for t in train_texts if t.startswith("note ")}
    val_notes = {int(t.split()[1]) for t in val_texts if t.startswith("note ")}
    assert train_notes and val_notes and not train_notes & val_notes
    assert max(len(t.split()) for t in train_texts | val_texts) == 7


def test_bad_text_files_are_named(tmp_path, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("first line\ncaf\xe9 au lait\n".encode("latin-1"))
    assert main(["train", "next_word", "--data", str(bad), "--epochs", "1",
                 "--out", str(tmp_path / "run")]) == 1  # fmt: skip
    error = capsys.readouterr().err
    assert f"{bad}: line 2 is not valid UTF-8" in error and "Traceback" not in error
    recipe = dlapps.load_recipe("next_word")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(dlapps.errors.DataError, match="No .txt files in folder"):
        recipe.load_data(empty)
    (empty / "blank.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(dlapps.errors.DataError, match="No text in"):
        recipe.load_data(empty)
    one = tmp_path / "one.txt"
    one.write_text("a single line\n", encoding="utf-8")
    with pytest.raises(dlapps.errors.DataError, match="too little text"):
        recipe.load_data(one)
    with pytest.raises(dlapps.errors.ConfigError, match="split=document holds out whole files"):
        dlapps.load_recipe("next_word", split="document").load_data(one)


def test_tfds_text_set_loads_through_mock_data():
    def as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensor_slices({"text": MESSAGES + ["", "  "]})

    recipe = dlapps.load_recipe("next_word", validation_fraction=0.3, batch_size=4)
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        train, val = recipe.load_data("tfds:lm1b")
    tokens = dlapps.layers.WordTokenizer().tokens(MESSAGES).flat_values.numpy()
    message_words = {token.decode() for token in tokens}
    assert "the" in recipe.vocabulary and len(recipe.vocabulary) > 10
    assert set(recipe.vocabulary[3:]) <= message_words
    texts, targets = next(iter(train))
    assert texts.shape == (4,) and targets.shape[0] == 4
    assert sum(len(t) for t, _ in val) > 0


def test_fine_tuning_keeps_the_vocabulary_of_the_earlier_run(fitted, tmp_path):
    recipe, _ = fitted
    text = tmp_path / "messages.txt"
    text.write_text("\n".join(MESSAGES) + "\n", encoding="utf-8")
    tuned = dlapps.load_recipe("next_word", init_from=recipe.run_dir, **SMALL,
                               validation_fraction=0.3)  # fmt: skip
    train, val = tuned.load_data(text)
    assert tuned.vocabulary == recipe.vocabulary  # the embedding rows mean the same words
    tuned.fit(train.take(2), val, run_dir=tmp_path / "tuned", verbose=0)
    np.testing.assert_array_equal(
        tuned.model.get_layer("tokenizer")(tf.constant(["party at the station"])),
        recipe.model.get_layer("tokenizer")(tf.constant(["party at the station"])),
    )


@pytest.mark.parametrize("overrides", [{"cell": "cifg"}, {"cell": "gru", "tie_embeddings": False}])
def test_cell_and_output_options_train_and_export(overrides, tmp_path):
    recipe, val = testing.train_for_test("next_word", tmp_path / "run", **overrides)
    layers = {layer.name for layer in recipe.model.layers}
    assert ("logits" in layers) == (not recipe.config.tie_embeddings)
    assert np.isfinite(recipe.evaluate(val)["perplexity"])
    testing.run_serialization_test(recipe)
    assert recipe.export(tmp_path / "words.tflite", format="tflite").stat().st_size > 0
