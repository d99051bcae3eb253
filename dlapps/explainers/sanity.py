"""The model-randomization sanity check of Adebayo et al. 2018.

An explanation that explains the model must change when the model's learned
weights are replaced by random ones. The check recomputes the explanation with
the model's weights randomized and compares the two maps by
Spearman rank correlation of their absolute values: a high correlation means
the method shows something other than what the model learned (the input's
edges, say), and the explanation is flagged.
"""

import contextlib
import dataclasses
import math

import numpy as np
from scipy import stats

DEFAULT_THRESHOLD = 0.5


MIN_VALUES = 3


@dataclasses.dataclass(frozen=True)
class SanityCheck:
    """The result of the randomization check.

    Args:
        rank_correlation: Spearman correlation of |map| on the trained and the
            randomized model, the mean over inputs; `None` when the check does
            not apply (see `note`).
        threshold: the correlation at or above which the check fails.
        note: why the check does not apply: each input has fewer than
            `MIN_VALUES` attributions (a model of two features), or every
            trained map is blank (constant), so there is nothing to rank.
    """

    rank_correlation: float | None
    threshold: float = DEFAULT_THRESHOLD
    note: str = ""

    @property
    def applicable(self):
        return self.rank_correlation is not None

    @property
    def passed(self):
        return self.applicable and self.rank_correlation < self.threshold

    def __str__(self):
        if not self.applicable:
            return f"sanity check n/a ({self.note})"
        # Rounded away from the threshold, so the figure never reads "0.50 < 0.5".
        if self.passed:
            shown = math.floor(self.rank_correlation * 100) / 100
            return f"sanity check passed (rank corr. {shown:.2f} < {self.threshold:g})"
        shown = math.ceil(self.rank_correlation * 100) / 100
        return (
            "sanity check FAILED: map barely changes with random weights "
            f"(rank corr. {shown:.2f} >= {self.threshold:g})"
        )

    def to_dict(self):
        return {
            "rank_correlation": self.rank_correlation,
            "threshold": self.threshold,
            "applicable": self.applicable,
            "passed": self.passed,
            "note": self.note,
        }


def compare_maps(trained, randomized, threshold=DEFAULT_THRESHOLD, valid=None):
    """The `SanityCheck` of maps computed with trained and randomized weights.

    Spearman correlation of the absolute maps, per input, averaged over the
    inputs whose trained map is not blank (constant): a blank map ranks nothing.

    Args:
        trained, randomized: the two maps, `(batch, ...)`.
        threshold: the correlation at or above which the check fails.
        valid: where the maps are compared, like the maps; `None` for
            everywhere. Padding is left out: it is zero whatever the weights.
    """
    trained = np.abs(np.asarray(trained, "float64")).reshape(len(trained), -1)
    randomized = np.abs(np.asarray(randomized, "float64")).reshape(len(randomized), -1)
    valid = np.ones(trained.shape, bool) if valid is None else np.reshape(valid, trained.shape)
    if trained.shape[1] < MIN_VALUES:
        return SanityCheck(None, threshold, f"under {MIN_VALUES} values per input to rank")
    ranked = []
    for first, second, used in zip(trained, randomized, valid, strict=True):
        if used.sum() >= MIN_VALUES and np.ptp(first[used]) > 0:
            ranked.append(_spearman(first[used], second[used]))
    if not ranked:
        return SanityCheck(None, threshold, "every map is blank")
    return SanityCheck(float(np.mean(ranked)), threshold)


@contextlib.contextmanager
def randomized_weights(model, seed=0):
    """Within the block, `model`'s learned weights (kernels, embeddings: the
    trainable weights of two or more axes) are redrawn from a normal
    distribution of the same spread; the trained values come back after.

    Swapping weights in place, rather than cloning, keeps the state a clone
    does not carry (adapted normalization, lookup tables); biases and
    normalization statistics are kept, so activations stay in range.
    """
    rng = np.random.default_rng(seed)
    trained = [(v, v.numpy()) for v in model.trainable_weights if len(v.shape) >= 2]
    try:
        for variable, values in trained:
            spread = float(np.std(values)) or 0.05
            variable.assign(rng.normal(0.0, spread, values.shape).astype(values.dtype))
        yield model
    finally:
        for variable, values in trained:
            variable.assign(values)


def _spearman(first, second):
    if np.ptp(second) == 0:
        return 0.0  # the randomized map is blank: nothing of the trained ranking is left
    return float(stats.spearmanr(first, second).statistic)
