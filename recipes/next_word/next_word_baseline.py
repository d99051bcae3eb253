"""The classical baseline: an interpolated Kneser-Ney trigram model (Kneser
and Ney 1995; Chen and Goodman 1998) over the same token ids as the network.

NLTK's `KneserNeyInterpolated` scores one word at a time, far too slowly for
top-k suggestions over a vocabulary, so the model is written here: counts in
dictionaries, exact top-k from a short candidate list.
"""

import itertools
from collections import Counter, defaultdict

import numpy as np

BOS = -1  # the sentence-start context, outside the vocabulary's ids


class KneserNeyTrigram:
    """Interpolated Kneser-Ney over token ids `0 .. vocabulary_size - 1`.

    `P(w | u v) = max(c(uvw) - D, 0) / c(uv.) + D N(uv.) / c(uv.) P2(w | v)`;
    the bigram and unigram levels use continuation counts (how many
    different words precede), and the unigram level is interpolated with
    the uniform distribution, so every id has a probability.

    Args:
        vocabulary_size: ids are `0 .. vocabulary_size - 1`.
        discount: `D`, the same at every order.
        excluded: ids `top_k` never suggests (padding, out-of-vocabulary);
            they keep their probability.

    Example:

    >>> model = KneserNeyTrigram(1000).fit(train_sequences)
    >>> model.top_k(u, v, 3)             # the 3 likeliest next ids after u v
    >>> model.log_probability(u, v, w)
    """

    def __init__(self, vocabulary_size, discount=0.75, excluded=()):
        if not 0 < discount < 1:
            raise ValueError(f"discount must be in (0, 1). Received: discount={discount}")
        self.vocabulary_size = vocabulary_size
        self.discount = discount
        self.excluded = set(excluded)

    def fit(self, sequences):
        """Counts trigrams of `sequences` (lists of ids, one per sentence or
        line), each preceded by two sentence starts."""
        trigrams = Counter()
        for sequence in sequences:
            padded = [BOS, BOS, *sequence]
            trigrams.update(zip(padded, padded[1:], padded[2:], strict=False))
        self._trigram = defaultdict(dict)  # (u, v) -> {w: count}
        continuation = defaultdict(set)  # (v, w) -> {u}
        for (u, v, w), count in trigrams.items():
            self._trigram[(u, v)][w] = count
            continuation[(v, w)].add(u)
        self._bigram = defaultdict(dict)  # v -> {w: N1+(. v w)}
        preceding = defaultdict(set)  # w -> {v}
        for (v, w), before in continuation.items():
            self._bigram[v][w] = len(before)
            preceding[w].add(v)
        unigram = np.zeros(self.vocabulary_size)
        for w, before in preceding.items():
            if w >= 0:
                unigram[w] = len(before)
        total, seen = unigram.sum(), np.count_nonzero(unigram)
        d = self.discount
        self._unigram = (np.maximum(unigram - d, 0) + d * seen / self.vocabulary_size) / total
        order = np.argsort(-self._unigram, kind="stable")
        self._unigram_order = [int(i) for i in order if int(i) not in self.excluded]
        # Totals and back-off weights, counted once rather than per query.
        self._trigram_weights = {c: _weights(f, d) for c, f in self._trigram.items()}
        self._bigram_weights = {v: _weights(f, d) for v, f in self._bigram.items()}
        self._ranked_followers = {}
        return self

    def _bigram_probability(self, v, w):
        followers = self._bigram.get(v)
        if not followers:
            return self._unigram[w]
        total, backoff = self._bigram_weights[v]
        return max(followers.get(w, 0) - self.discount, 0) / total + backoff * self._unigram[w]

    def probability(self, u, v, w):
        """`P(w | u v)`; use `BOS` for contexts before the sentence start."""
        followers = self._trigram.get((u, v))
        if not followers:
            return self._bigram_probability(v, w)
        total, backoff = self._trigram_weights[(u, v)]
        kept = max(followers.get(w, 0) - self.discount, 0)
        return kept / total + backoff * self._bigram_probability(v, w)

    def log_probability(self, u, v, w):
        return float(np.log(self.probability(u, v, w)))

    def top_k(self, u, v, k):
        """The `k` likeliest next ids after `u v`, best first, with their
        probabilities. Exact: a word not seen after `u v` has the bigram
        level's probability times one back-off weight, so it ranks by
        `P2(w | v)`; and a word seen after neither ranks by its unigram
        probability. The candidates are the words seen after `u v`, the
        best of those seen after `v`, and the best unigrams."""
        seen = [w for w in self._trigram.get((u, v), ()) if w != BOS and w not in self.excluded]
        need = k + len(seen)
        ranked, followers = self._followers_of(v)
        candidates = set(seen) | set(ranked[:need])
        unseen = (w for w in self._unigram_order if w not in followers)
        candidates.update(itertools.islice(unseen, need))
        scored = sorted(
            ((self.probability(u, v, w), w) for w in candidates), key=lambda p: (-p[0], p[1])
        )
        return [(w, p) for p, w in scored[:k]]

    def _followers_of(self, v):
        """The words seen after `v`, best `P2(w | v)` first, and their set."""
        if v not in self._ranked_followers:
            followers = self._bigram.get(v, {})
            ranked = sorted(
                (w for w in followers if w not in self.excluded),
                key=lambda w: (-self._bigram_probability(v, w), w),
            )
            self._ranked_followers[v] = (ranked, set(followers))
        return self._ranked_followers[v]

    def contexts(self, sequence):
        """`(u, v, w)` for every position of `sequence`, with sentence starts."""
        padded = [BOS, BOS, *sequence]
        return list(zip(padded, padded[1:], padded[2:], strict=False))


def _weights(followers, discount):
    """`(c(context .), D N(context .) / c(context .))` of a context's followers."""
    total = sum(followers.values())
    return total, discount * len(followers) / total
