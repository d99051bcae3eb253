import numpy as np
import pytest

from dlapps.recipes.next_word.next_word_baseline import BOS, KneserNeyTrigram

SENTENCES = [[2, 3, 4, 5], [2, 3, 6, 5], [7, 3, 4, 5], [2, 8, 4], [9, 3, 4, 5, 5]]


@pytest.fixture()
def model():
    return KneserNeyTrigram(12, excluded=(0, 1)).fit(SENTENCES)


@pytest.mark.parametrize("context", [(BOS, BOS), (2, 3), (3, 4), (10, 11), (BOS, 9), (4, 5)])
def test_probabilities_sum_to_one_in_seen_and_unseen_contexts(model, context):
    total = sum(model.probability(*context, w) for w in range(12))
    assert total == pytest.approx(1.0, abs=1e-12)
    assert all(model.probability(*context, w) > 0 for w in range(12))


@pytest.mark.parametrize("context", [(BOS, BOS), (2, 3), (3, 4), (10, 11), (7, 3)])
def test_top_k_is_the_exact_argmax_without_excluded_ids(model, context):
    brute = sorted(range(2, 12), key=lambda w: (-model.probability(*context, w), w))[:3]
    assert [w for w, _ in model.top_k(*context, 3)] == brute


def test_seen_continuations_rank_first_and_discounting_matches_the_formula(model):
    # After "2 3": 4 once, 6 once; c(2 3 .) = 2, two distinct followers.
    assert {w for w, _ in model.top_k(2, 3, 2)} == {4, 6}
    d = model.discount
    expected = (1 - d) / 2 + d * 2 / 2 * model._bigram_probability(3, 4)
    assert model.probability(2, 3, 4) == pytest.approx(expected)


def test_rejects_a_discount_outside_the_unit_interval():
    with pytest.raises(ValueError, match="Received: discount=1.5"):
        KneserNeyTrigram(10, discount=1.5)


def test_contexts_start_with_two_sentence_starts(model):
    assert model.contexts([2, 3]) == [(BOS, BOS, 2), (BOS, 2, 3)]
    assert np.isfinite(sum(model.log_probability(*c) for c in model.contexts([9, 9, 11])))


def test_synthetic_verbs_agree_with_the_subject_beyond_trigram_reach():
    from dlapps.recipes.next_word.next_word_synthesis import KINDS, make_sentence, make_text

    assert make_text(20, seed=3) == make_text(20, seed=3)
    assert make_text(20, seed=3) != make_text(20, seed=4)
    rng = np.random.default_rng(0)
    far = 0
    for _ in range(300):
        words, verb = make_sentence(rng)
        subject = next(w for w in words if any(w in k[0] + k[1] for k in KINDS.values()))
        kind = next(k for k in KINDS.values() if subject in k[0] + k[1])
        verbs = kind[2] if subject in kind[0] else kind[3]
        assert words[verb] in verbs
        far += verb - words.index(subject) > 2
    assert far > 200  # most verbs sit more than two words after their subject
