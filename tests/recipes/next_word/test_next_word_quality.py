"""Quality checks (slow, skipped in CI): the recurrent model beats the
Kneser-Ney trigram at top-3 suggestions, on the synthetic default and on
real English text."""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import dlapps
from dlapps.cli import main
from dlapps.recipes.next_word.next_word_baseline import BOS
from dlapps.recipes.next_word.next_word_synthesis import make_sentence

sys.path.insert(0, str(Path(__file__).parent))
from english_text import write_english_text  # noqa: E402

pytestmark = pytest.mark.slow

ENGLISH_SETTINGS = ["--epochs", "6"]  # 420,000 words: 6 epochs take about 13 minutes


def train(arguments, run):
    started = time.perf_counter()
    assert main(["train", "next_word", *arguments, "--out", str(run)]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    return metrics, (time.perf_counter() - started) / 60


def report(name, metrics, minutes):
    print(f"\nnext_word on {name} ({minutes:.1f} min, {metrics['tokens']:.0f} held-out tokens):")
    for key in ("top3_accuracy", "top1_accuracy", "keystroke_savings", "perplexity"):
        print(f"  {key:<18} network {metrics[key]:.4f}   trigram {metrics['baseline_' + key]:.4f}")


def verb_top3(recipe, sentences=400):
    """Top-3 accuracy at the verb that agrees with a subject 3 to 10 words
    back, for the network and the trigram: the long-range dependency."""
    rng = np.random.default_rng([123, 4])
    trigram, vocabulary = recipe.baseline(), recipe.vocabulary
    index = {word: i for i, word in enumerate(vocabulary)}
    cases = [make_sentence(rng) for _ in range(sentences)]
    suggested = recipe.predict([" ".join(words[:verb]) for words, verb in cases])
    network_hits = trigram_hits = 0
    for (words, verb), suggestion in zip(cases, suggested, strict=True):
        network_hits += words[verb] in suggestion["words"]
        u, v = ([BOS, BOS] + [index.get(w, 1) for w in words[:verb]])[-2:]
        trigram_hits += index[words[verb]] in [w for w, _ in trigram.top_k(u, v, 3)]
    return network_hits / sentences, trigram_hits / sentences


def test_synthetic_default_beats_the_trigram_and_carries_the_agreement(tmp_path):
    metrics, minutes = train([], tmp_path / "run")
    report("the synthetic default", metrics, minutes)
    recipe = dlapps.load_run(tmp_path / "run")
    recipe.load_data("synthetic")  # the baseline's training text
    network_verb, trigram_verb = verb_top3(recipe)
    print(f"  top-3 at the agreeing verb: network {network_verb:.3f}, trigram {trigram_verb:.3f}")
    assert metrics["top3_accuracy"] > metrics["baseline_top3_accuracy"] + 0.03
    assert metrics["perplexity"] < metrics["baseline_perplexity"]
    assert network_verb > trigram_verb + 0.2


def test_english_text_beats_the_trigram(tmp_path):
    text = write_english_text(tmp_path / "english.txt")
    metrics, minutes = train(["--data", str(text), *ENGLISH_SETTINGS], tmp_path / "run")
    report(f"English prose ({len(text.read_text().split())} words)", metrics, minutes)
    assert metrics["top3_accuracy"] > metrics["baseline_top3_accuracy"]
