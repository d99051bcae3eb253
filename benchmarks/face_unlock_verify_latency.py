"""Per-image face verification latency: one probe image at batch 1.

Side by side in one run, on the same probe and template: the exported
SavedModel's `verify` signature, `recipe.verify` (the Python API), and
TFLite (the same `verify` signature converted, as on a phone). Each is timed
`--repeats` times after a warm-up; the median and 95th percentile are
printed, with each median's ratio to the SavedModel's. Probes are tested at
the model's size and as a 480x640 camera frame, which the model crops and
resizes itself.

Usage: python benchmarks/face_unlock_verify_latency.py [RUN_DIR] [--repeats N]

Without RUN_DIR the default network is benchmarked with untrained weights:
latency does not depend on the weights' values.
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


def load(run_dir):
    if run_dir is not None:
        return dlapps.load_run(run_dir)
    recipe = dlapps.load_recipe("face_unlock", identities=16)
    recipe.model = recipe.build_model()
    recipe.calibrate(recipe.load_data("synthetic")[1])
    return recipe


def timed(function, repeats):
    for _ in range(5):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000


def tflite_verify(saved_model):
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model), ["verify"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(model_content=converter.convert())
    return interpreter.get_signature_runner("verify")


def paths(served, lite, recipe, template, probe):
    """The three ways to verify `probe`, as calls without arguments."""
    image, embedding = probe[None], template.embedding[None]
    image_tensor, embedding_tensor = tf.constant(image), tf.constant(embedding)
    return {
        "SavedModel verify": lambda: served(image=image_tensor, template=embedding_tensor),
        "recipe.verify": lambda: recipe.verify(template, probe),
        "TFLite verify": lambda: lite(image=image, template=embedding),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", nargs="?", type=Path)
    parser.add_argument("--repeats", type=int, default=100)
    args = parser.parse_args()
    recipe = load(args.run_dir)
    size = recipe.config.image_size
    faces = recipe.example_inputs()
    template = recipe.enroll("owner", faces[:2])
    camera = np.asarray(tf.image.resize(faces[2:3], (480, 640)), "uint8")[0]
    with tempfile.TemporaryDirectory() as folder:
        exported = recipe.export(Path(folder) / "model")
        served = tf.saved_model.load(str(exported)).signatures["verify"]
        lite = tflite_verify(exported)
        rows = []
        for name, probe in ((f"{size}x{size} face", faces[2]), ("480x640 frame", camera)):
            candidates = paths(served, lite, recipe, template, probe)
            scores = {
                "SavedModel verify": float(candidates["SavedModel verify"]()["score"][0]),
                "recipe.verify": candidates["recipe.verify"]()[0],
                "TFLite verify": float(candidates["TFLite verify"]()["score"][0]),
            }
            results = {key: timed(function, args.repeats) for key, function in candidates.items()}
            base = results["SavedModel verify"][0]
            for key, (median, p95) in results.items():
                rows.append((name, key, median, p95, median / base, scores[key]))
    print(f"face_unlock verify latency, batch 1, {args.repeats} calls each; CPU threads: "
          f"{os.cpu_count()}; weights: {'trained' if args.run_dir else 'untrained'}")  # fmt: skip
    print(f"{'probe':<16} {'path':<18} {'median ms':>10} {'p95 ms':>8} {'/ SavedModel':>13} "
          f"{'score':>8}")  # fmt: skip
    for name, key, median, p95, ratio, score in rows:
        print(f"{name:<16} {key:<18} {median:>10.2f} {p95:>8.2f} {ratio:>13.2f} {score:>8.4f}")


if __name__ == "__main__":
    main()
