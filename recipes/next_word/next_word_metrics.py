"""Keyboard metrics of next-word prediction, for the network and the
baseline alike: perplexity, top-1 and top-3 accuracy, keystroke savings."""

import math

import numpy as np

SUGGESTIONS = 3  # a keyboard's suggestion strip


class NextWordScores:
    """Accumulates, over every predicted token, the log-probability the
    model gave it and whether it was among the suggestions.

    Keystroke savings: after each word boundary the keyboard shows
    `SUGGESTIONS` words; when the next token is among them the user taps it
    and saves typing its characters. The metric is the characters saved over
    all characters of the tokens typed (spaces not counted). A token out of
    the vocabulary is never suggested, so it is never saved.
    """

    def __init__(self):
        self.log_probabilities = []
        self.ranks = []  # 0 for the top suggestion; SUGGESTIONS when not shown
        self.lengths = []

    def add(self, log_probabilities, suggested, targets, lengths):
        """Adds scored tokens.

        Args:
            log_probabilities: natural log of each target's probability.
            suggested: `(tokens, SUGGESTIONS)` ids suggested before each token.
            targets: the ids of the tokens.
            lengths: the characters of each token.
        """
        suggested = np.asarray(suggested)
        hits = suggested == np.asarray(targets)[:, None]
        self.ranks.append(np.where(hits.any(axis=1), hits.argmax(axis=1), SUGGESTIONS))
        self.log_probabilities.append(np.asarray(log_probabilities, "float64"))
        self.lengths.append(np.asarray(lengths, "int64"))

    def results(self):
        if not self.ranks:
            raise ValueError("No tokens were scored. Received: an empty dataset")
        ranks = np.concatenate(self.ranks)
        lengths = np.concatenate(self.lengths)
        return {
            "perplexity": math.exp(-np.concatenate(self.log_probabilities).mean()),
            "top1_accuracy": float((ranks == 0).mean()),
            "top3_accuracy": float((ranks < SUGGESTIONS).mean()),
            "keystroke_savings": float(lengths[ranks < SUGGESTIONS].sum() / max(lengths.sum(), 1)),
            "tokens": float(len(ranks)),
        }


def score_network_batch(scores, logits, targets, token_lengths, special_ids):
    """Scores one batch of the network's per-position logits `(batch, time,
    vocab)` against next-token `targets` `(batch, time)`, 0 where none."""
    import tensorflow as tf

    logits = tf.cast(logits, "float32")
    targets = np.asarray(targets)
    valid = targets != 0
    log_probabilities = tf.nn.log_softmax(logits)
    target_log_probabilities = np.take_along_axis(
        np.asarray(log_probabilities), targets[..., None], axis=-1
    )[..., 0]
    special = np.zeros(logits.shape[-1], "float32")
    special[list(special_ids)] = -np.inf
    _, suggested = tf.math.top_k(logits + special, SUGGESTIONS)
    scores.add(
        target_log_probabilities[valid],
        np.asarray(suggested)[valid],
        targets[valid],
        token_lengths[valid],
    )


def score_baseline_windows(scores, baseline, windows, lengths):
    """Scores the trigram baseline on token-id windows, each read from its
    start as the network reads it."""
    for window, window_lengths in zip(windows, lengths, strict=True):
        triples = baseline.contexts(window)
        scores.add(
            [baseline.log_probability(u, v, w) for u, v, w in triples],
            [_padded([w for w, _ in baseline.top_k(u, v, SUGGESTIONS)]) for u, v, _ in triples],
            window,
            window_lengths,
        )


def _padded(ids):
    return list(ids) + [-1] * (SUGGESTIONS - len(ids))
