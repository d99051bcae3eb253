"""Next-word prediction for a keyboard: a small recurrent language model
trained on the user's own text, beside a Kneser-Ney trigram baseline."""

import dataclasses
from typing import Literal

import dlapps

SPECIAL_TOKENS = 3  # padding, out of vocabulary, start of text


@dataclasses.dataclass
class NextWordConfig(dlapps.RecipeConfig):
    """Hyperparameters of the next-word model.

    Args:
        vocabulary_size: the most tokens the vocabulary keeps, the padding,
            out-of-vocabulary and start tokens included; the most frequent
            words of the training text are kept.
        sequence_length: tokens the model reads: training windows hold
            `sequence_length - 1` tokens after the start token, and a long
            text is read from its last `sequence_length - 1` tokens.
        embedding_dim: width of the word embedding.
        units: width of the recurrent state.
        cell: `"lstm"`, `"gru"`, or `"cifg"` (an LSTM with coupled input and
            forget gates, as in production keyboards).
        tie_embeddings: the output layer reuses the embedding matrix, which
            saves `vocabulary_size x embedding_dim` weights.
        suggestions: words `predict` and the exported `suggest` return.
        split: how own text is split into training and validation: by
            `"line"` (each line a unit) or by `"document"` (each file of a
            folder a unit).
        validation_fraction: share of lines or documents held out.
        sentences: synthetic training sentences.
        validation_sentences: synthetic validation sentences.
        discount: the Kneser-Ney baseline's discount.
    """

    learning_rate: float = 3e-3
    batch_size: int = 16
    epochs: int = 8
    dropout: float = 0.1
    vocabulary_size: int = 10000
    sequence_length: int = 32
    embedding_dim: int = 96
    units: int = 256
    cell: Literal["lstm", "gru", "cifg"] = "lstm"
    tie_embeddings: bool = True
    suggestions: int = 3
    split: Literal["line", "document"] = "line"
    validation_fraction: float = 0.1
    sentences: int = 20000
    validation_sentences: int = 2000
    discount: float = 0.75

    def validate(self):
        super().validate()
        require = dlapps.config.require
        require(self.vocabulary_size >= 4, "vocabulary_size", self.vocabulary_size,
                "must be >= 4 (3 special tokens and a word)")  # fmt: skip
        require(self.sequence_length >= 2, "sequence_length", self.sequence_length, "must be >= 2")
        require(self.embedding_dim >= 1, "embedding_dim", self.embedding_dim, "must be >= 1")
        require(self.units >= 1, "units", self.units, "must be >= 1")
        require(self.suggestions >= 1, "suggestions", self.suggestions, "must be >= 1")
        require(0 < self.validation_fraction < 1, "validation_fraction",
                self.validation_fraction, "must be in (0, 1)")  # fmt: skip
        require(self.sentences >= 1, "sentences", self.sentences, "must be >= 1")
        require(self.validation_sentences >= 1, "validation_sentences",
                self.validation_sentences, "must be >= 1")  # fmt: skip
        require(0 < self.discount < 1, "discount", self.discount, "must be in (0, 1)")


class NextWord(dlapps.Recipe):
    """Keyboard next-word suggestions: text goes through a word tokenizer
    (lowercase words and punctuation marks, vocabulary learned from the
    training text) into an embedding and an LSTM, GRU or CIFG LSTM that
    predicts every next token; the three likeliest words after the text
    typed so far are the suggestions.

    Example:

    ```python
    recipe = dlapps.load_recipe("next_word")
    train, val = recipe.load_data("~/my_messages.txt")   # one message per line
    recipe.fit(train, val, run_dir="runs/words")
    print(recipe.evaluate(val))          # beside the Kneser-Ney trigram baseline
    print(recipe.predict(["see you at the"]))
    ```
    """

    name = "next_word"
    task = "next-word prediction"
    summary = "Keyboard next-word suggestions from a recurrent language model on your own text"
    config_class = NextWordConfig
    metric_names = ("perplexity", "top1_accuracy", "top3_accuracy", "keystroke_savings")
    explain_methods = ("integrated_gradients", "saliency", "occlusion")
    # TFLite's built-in ops do not split or look up strings: on device the
    # app maps words to ids with the vocabulary and the model suggests words.
    tflite_signatures = ("suggest_ids",)
    data_help = (
        "a UTF-8 .txt file, or a folder of them; with split=line each line is a unit "
        "(message, sentence, paragraph), with split=document each file. Or tfds:NAME of a "
        "text set with a 'text' feature, such as lm1b"
    )
    input_help = 'the text typed so far, e.g. "see you at the"'
    intended_use = (
        "Suggesting the next word while someone types, in the language and style of the "
        "training text; a compact model for on-device use."
    )
    limitations = (
        "Suggests only words of its vocabulary, learned from the training text; words typed "
        "after the last word boundary are not completed. It repeats the training text's "
        "habits, biases included, and may suggest private phrases of that text: do not train "
        "it on text whose users should not see each other's words. The synthetic default is "
        "a toy grammar; train on real text before use."
    )
    smoke_overrides = {
        "epochs": 1,
        "sentences": 60,
        "validation_sentences": 20,
        "batch_size": 16,
        "vocabulary_size": 200,
        "sequence_length": 12,
        "embedding_dim": 8,
        "units": 8,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._vocabulary = None  # learned by load_data, then held by the model
        self._baseline_text = None  # token ids of the training units
        self._baseline = None
        self._suggestion_model = None

    @property
    def head_layers(self):
        return ("projection",) if self.config.tie_embeddings else ("logits",)

    @property
    def vocabulary(self):
        """Every token by id: `["", "[UNK]", "<s>", words...]`."""
        if self.model is not None:
            return self.model.get_layer("tokenizer").get_vocabulary()
        return self._vocabulary

    # Model.

    def build_model(self):
        from dlapps.recipes.next_word.next_word_model import build_language_model

        if self._vocabulary is None:
            raise dlapps.errors.ConfigError(
                "next_word learns its vocabulary from the training text: call load_data() "
                "before fit(). Received: no vocabulary"
            )
        config = self.config
        return build_language_model(
            self._vocabulary[SPECIAL_TOKENS:],
            max_tokens=config.vocabulary_size,
            sequence_length=config.sequence_length,
            embedding_dim=config.embedding_dim,
            units=config.units,
            cell=config.cell,
            tie_embeddings=config.tie_embeddings,
            dropout=config.dropout,
            regularizer=self.make_regularizer(),
        )

    def compile_arguments(self):
        import keras

        # Target 0 marks "no next token" (padding, after a window's end).
        return {
            "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
        }

    def make_optimizer(self, learning_rate=None):
        """The config's optimizer with gradients clipped to norm 1, as
        recurrent language models need, and the learning rate decayed to
        zero along a cosine over all training steps."""
        if learning_rate is None:
            learning_rate = self.cosine_decay()
        return super().make_optimizer(learning_rate, clipnorm=1.0)

    def suggestion_model(self):
        """The model that serves suggestions: text -> probabilities of the
        next word after the whole text; it shares the trained layers."""
        from dlapps.recipes.next_word.next_word_model import build_suggestion_model

        self._require_model()
        if self._suggestion_model is None or self._suggestion_model[0] is not self.model:
            self._suggestion_model = (self.model, build_suggestion_model(self.model))
        return self._suggestion_model[1]

    # Data.

    def load_synthetic(self):
        from dlapps.recipes.next_word.next_word_synthesis import make_text

        config = self.config
        train = make_text(config.sentences, config.seed)
        val = make_text(config.validation_sentences, config.seed + 1)
        return self._datasets(train, val)

    def load_path(self, path):
        from dlapps.recipes.next_word.next_word_text import read_units, split_units

        config = self.config
        if config.split == "document" and not path.is_dir():
            raise dlapps.errors.ConfigError(
                f"split=document holds out whole files: pass a folder of .txt files. "
                f"Received: {path}"
            )
        units, groups = read_units(path, config.split)
        train, val = split_units(units, groups, config.validation_fraction, config.seed, path)
        return self._datasets(train, val)

    def load_tfds(self, dataset_name):
        import tensorflow as tf

        from dlapps.recipes.next_word.next_word_text import split_units

        split, _ = dlapps.data.load_tfds(
            dataset_name, ("text",), "a text set with a 'text' feature such as lm1b"
        )
        units = [
            text.decode("utf-8", errors="replace")
            for text in split.map(lambda example: example["text"])
            .prefetch(tf.data.AUTOTUNE)
            .as_numpy_iterator()
        ]
        units = [unit for unit in units if unit.strip()]
        train, val = split_units(
            units, units, self.config.validation_fraction, self.config.seed, f"tfds:{dataset_name}"
        )
        return self._datasets(train, val)

    def _datasets(self, train_units, val_units):
        """Learns the vocabulary from the training text (or keeps the
        model's), and cuts both sides into windows of token ids."""
        from dlapps.recipes.next_word import next_word_text as text

        config = self.config
        tokenizer = dlapps.layers.WordTokenizer(
            max_tokens=config.vocabulary_size, sequence_length=config.sequence_length
        )
        vocabulary = self.vocabulary
        if vocabulary is None and self.init_from is not None:
            vocabulary = dlapps.load_run(self.init_from).vocabulary
        if vocabulary is None:
            tokenizer.adapt(train_units)
            vocabulary = tokenizer.get_vocabulary()
        self._vocabulary = vocabulary
        train_tokens, val_tokens = _tokens(tokenizer, train_units), _tokens(tokenizer, val_units)
        self._baseline_text = text.token_ids(train_tokens, vocabulary)
        self._baseline = None
        length = config.sequence_length - 1
        train_windows = text.windows(train_tokens, length)
        return (
            text.window_dataset(train_windows, vocabulary, config.batch_size, config.seed),
            text.window_dataset(text.windows(val_tokens, length), vocabulary, config.batch_size),
        )

    # Evaluation.

    def evaluate(self, data, verbose=0):
        """Keyboard metrics on held-out windows: perplexity, top-1 and top-3
        accuracy of the suggestions, keystroke savings; and the same four
        for a Kneser-Ney trigram trained on the same training text, as
        `baseline_*`, when the data came from `load_data`."""
        import numpy as np

        from dlapps.recipes.next_word import next_word_metrics as metrics
        from dlapps.recipes.next_word.next_word_model import SPECIAL_IDS

        self._require_model()
        network, baseline = metrics.NextWordScores(), metrics.NextWordScores()
        trigram = self.baseline()
        tokenizer = self.model.get_layer("tokenizer")
        for text, targets in data:
            targets = np.asarray(targets)
            lengths = _token_lengths(tokenizer, text, targets.shape[1])
            logits = self.model(text, training=False)
            metrics.score_network_batch(network, logits, targets, lengths, SPECIAL_IDS)
            if trigram is not None:
                valid = targets != 0
                metrics.score_baseline_windows(
                    baseline,
                    trigram,
                    [row[keep].tolist() for row, keep in zip(targets, valid, strict=True)],
                    [row[keep] for row, keep in zip(lengths, valid, strict=True)],
                )
        results = network.results()
        if trigram is not None:
            results.update(
                {f"baseline_{k}": v for k, v in baseline.results().items() if k != "tokens"}
            )
        return results

    def baseline(self):
        """The Kneser-Ney trigram trained on the training text of the last
        `load_data`, or `None` before any."""
        from dlapps.recipes.next_word.next_word_baseline import KneserNeyTrigram
        from dlapps.recipes.next_word.next_word_model import SPECIAL_IDS

        if self._baseline is None and self._baseline_text is not None:
            self._baseline = KneserNeyTrigram(
                len(self.vocabulary), self.config.discount, excluded=SPECIAL_IDS
            ).fit(self._baseline_text)
        return self._baseline

    # Inference and export.

    def parse_inputs(self, inputs):
        """The texts typed so far, as a string batch."""
        import numpy as np

        return np.array([str(text) for text in inputs], dtype=object)

    def serving_signatures(self):
        """`serving_default` and `suggest`: text -> the `suggestions`
        likeliest next words and their probabilities. `suggest_ids`: token
        ids (from the vocabulary; what the TFLite model takes) -> the same,
        with the words' ids."""
        import tensorflow as tf

        from dlapps.recipes.next_word.next_word_model import ids_to_probabilities, top_suggestions

        model, suggestion_model = self.model, self.suggestion_model()
        vocabulary, k = self.vocabulary, self.config.suggestions

        def suggest(text):
            words, _, probabilities = top_suggestions(suggestion_model(text), vocabulary, k)
            return {"words": words, "probabilities": probabilities}

        def suggest_ids(token_ids):
            words, ids, probabilities = top_suggestions(
                ids_to_probabilities(model, token_ids), vocabulary, k
            )
            return {"words": words, "word_ids": ids, "probabilities": probabilities}

        text = [tf.TensorSpec((None,), tf.string, name="text")]
        return {
            "serving_default": (suggest, text),
            "suggest": (suggest, text),
            "suggest_ids": (suggest_ids, [tf.TensorSpec((1, None), tf.int32, name="token_ids")]),
        }

    def token_ids(self, texts):
        """The ids the model reads for each text (start id first, right-
        padded with 0): the input of `suggest_ids` and of the TFLite model."""
        import numpy as np

        self._require_model()
        return np.asarray(self.model.get_layer("tokenizer")(self.parse_inputs(texts)))

    def predict(self, inputs):
        """The likeliest next words after each text, with probabilities."""
        import numpy as np

        self._require_model()
        function, _ = self.serving_signatures()["suggest"]
        outputs = function(self.parse_inputs(inputs))
        words, probabilities = np.asarray(outputs["words"]), np.asarray(outputs["probabilities"])
        return [
            {
                "words": [w.decode("utf-8") for w in row_words],
                "probabilities": [round(float(p), 6) for p in row_probabilities],
            }
            for row_words, row_probabilities in zip(words, probabilities, strict=True)
        ]

    def example_inputs(self):
        return self.parse_inputs(
            ["the old dogs near the red clock that the child saw", "my teacher", "", "A storm,"]
        )

    def signature_examples(self):
        texts = self.example_inputs()
        ids = self.token_ids(texts)
        return {"serving_default": texts, "suggest": texts, "suggest_ids": ids[:1]}

    def example_cli_inputs(self, folder):
        return ["the small robots beside my cat", "a young"]

    # Explanation.

    def explain(self, inputs, method=None, target=None, sanity_check=False, **options):
        """Explains each text's top suggestion (or the word `target`) over
        the embeddings of the text's tokens; the figure shades each word by
        its attribution."""
        from dlapps.recipes.next_word.next_word_model import build_suggestion_model

        texts = self.parse_inputs(inputs)
        method = method or self.explain_methods[0]
        if method not in self.explain_methods:
            raise dlapps.errors.ConfigError(
                f"Method '{method}' does not apply to next_word; expected one of "
                f"{', '.join(self.explain_methods)}. Received: method={method!r}"
            )
        if target is None:
            target = [row["words"][0] for row in self.predict(texts)]
        if isinstance(target, str | list | tuple):
            target = dlapps.explainers.NextWordProbability(
                target if isinstance(target, str) else list(target)
            )
        return dlapps.explain(
            build_suggestion_model(self.model, for_explanation=True),
            texts,
            method=method,
            features="embedding",
            target=target,
            sanity_check=sanity_check,
            **options,
        )

    def parse_target(self, text):
        """`--target WORD`: explain the probability of WORD instead."""
        if text not in (self.vocabulary or ()):
            raise dlapps.errors.ConfigError(
                f"The explanation target must be a word of the vocabulary. Received: "
                f"target={text!r}"
            )
        return text


def _tokens(tokenizer, texts):
    """The tokens of each text as the tokenizer reads them, as strings."""
    return [[token.decode("utf-8") for token in row] for row in tokenizer.tokens(texts).to_list()]


def _token_lengths(tokenizer, text, width):
    """Characters of each token the model reads, aligned with the targets."""
    import numpy as np

    lengths = np.zeros((len(text), width), "int64")
    keep = tokenizer.sequence_length - 1
    for row, tokens in enumerate(_tokens(tokenizer, text)):
        counts = [len(token) for token in tokens[-keep:]]
        lengths[row, : len(counts)] = counts
    return lengths
