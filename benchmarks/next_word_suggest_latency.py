"""Next-word suggestion latency: one text at batch 1, as a keyboard asks.

Side by side in one run, on the same held-out prefixes: the exported
SavedModel's `suggest` signature (raw string in, 3 words out), the TFLite
model (`suggest_ids`: the text's token ids in, as an app passes them after
looking words up in the vocabulary, 3 words out), and the Kneser-Ney
trigram baseline's exact top 3 (pure Python). Each call is timed over
`--repeats` prefixes after a warm-up; the median and 95th percentile are
printed, with each median's ratio to the SavedModel's, and how often each
path's top 3 equals the SavedModel's.

Usage: python benchmarks/next_word_suggest_latency.py RUN_DIR [--repeats N]
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlapps  # noqa: E402


def timed(function, inputs):
    for value in inputs[:5]:
        function(value)
    times, outputs = [], []
    for value in inputs:
        start = time.perf_counter()
        output = function(value)
        times.append(time.perf_counter() - start)
        outputs.append(output)
    return statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000, outputs


def held_out_prefixes(recipe, count):
    """Texts cut after each of their words, from the run's validation text."""
    _, val = recipe.load_data(recipe.data_source or "synthetic")
    prefixes = []
    for texts, _ in val:
        for text in texts.numpy():
            words = text.decode().split()
            prefixes += [" ".join(words[:end]) for end in range(1, len(words))]
            if len(prefixes) >= count:
                return prefixes[:count]
    return prefixes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    recipe = dlapps.load_run(args.run_dir)
    prefixes = held_out_prefixes(recipe, args.repeats)
    ids = [recipe.token_ids([text]).astype("int32") for text in prefixes]
    trigram = recipe.baseline()
    vocabulary = recipe.vocabulary
    with tempfile.TemporaryDirectory() as folder:
        saved_model = recipe.export(Path(folder) / "model")
        lite_path = recipe.export(Path(folder) / "model.tflite", format="tflite")
        suggest = tf.saved_model.load(str(saved_model)).signatures["suggest"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            lite = tf.lite.Interpreter(model_path=str(lite_path)).get_signature_runner(
                "suggest_ids"
            )

        def baseline(token_ids):
            context = [-1, -1, *token_ids[0, 1:].tolist()]
            return [vocabulary[w] for w, _ in trigram.top_k(context[-2], context[-1], 3)]

        paths = {
            "SavedModel suggest": (
                lambda text: [
                    w.decode() for w in suggest(text=tf.constant([text]))["words"].numpy()[0]
                ],
                prefixes,
            ),
            "TFLite suggest_ids": (
                lambda token_ids: [w.decode() for w in lite(token_ids=token_ids)["words"][0]],
                ids,
            ),
            "Kneser-Ney trigram": (baseline, ids),
        }
        results = {name: timed(function, inputs) for name, (function, inputs) in paths.items()}
    reference = results["SavedModel suggest"][2]
    base = results["SavedModel suggest"][0]
    config = recipe.config
    print(f"next_word suggest latency, batch 1, {len(prefixes)} held-out prefixes; CPU threads: "
          f"{os.cpu_count()}; vocabulary {len(vocabulary)}, {config.cell} {config.units} "
          f"units, up to {config.sequence_length - 1} tokens read")  # fmt: skip
    print(f"{'path':<20} {'median ms':>10} {'p95 ms':>8} {'/ SavedModel':>13} "
          f"{'same top 3':>11}")  # fmt: skip
    for name, (median, p95, outputs) in results.items():
        same = np.mean([a == b for a, b in zip(outputs, reference, strict=True)])
        print(f"{name:<20} {median:>10.2f} {p95:>8.2f} {median / base:>13.2f} {same:>11.3f}")


if __name__ == "__main__":
    main()
