"""Explaining a batch with Grad-CAM against one forward-backward pass.

The target: `dlapps.explain(model, batch, method="gradcam")` on a batch of 32
costs no more than 3x one forward-backward pass of that batch (the gradient
of the explained class scores with respect to the input). Both run eagerly,
side by side, in one process, on a small CNN; the median of several runs of
each is printed with the ratios. A compiled (`tf.function`) forward-backward
pass and tf-keras-vis' Gradcam called directly are shown for reference.

Usage: python benchmarks/explain_gradcam.py [--repeats N] [--batch N]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tf_keras_vis.gradcam import Gradcam  # noqa: E402

import dlapps  # noqa: E402

TARGET_RATIO = 3.0


def small_cnn(size=64, classes=10):
    inputs = keras.Input((size, size, 3))
    x = inputs
    for filters in (16, 32, 64):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    logits = keras.layers.Dense(classes)(x)
    return keras.Model(inputs, keras.layers.Activation("softmax")(logits))


def median_seconds(function, repeats):
    function()  # warm-up: tracing, kernel selection
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    model = small_cnn()
    batch = tf.constant(np.random.default_rng(0).uniform(size=(args.batch, 64, 64, 3)), "float32")
    classes = tf.constant(np.argmax(model.predict(batch, verbose=0), axis=1))

    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch(batch)
            scores = tf.gather(model(batch, training=False), classes, axis=1, batch_dims=1)
        return tape.gradient(scores, batch).numpy()

    @tf.function
    def compiled_forward_backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            scores = tf.gather(model(x, training=False), classes, axis=1, batch_dims=1)
        return tape.gradient(scores, x)

    visualizer = Gradcam(model, clone=False)

    def score(output):
        return tf.gather(output, classes, axis=1, batch_dims=1)

    timings = {
        "forward-backward (eager)": median_seconds(forward_backward, args.repeats),
        "forward-backward (tf.function)": median_seconds(
            lambda: compiled_forward_backward(batch).numpy(), args.repeats
        ),
        "tf-keras-vis Gradcam": median_seconds(lambda: visualizer(score, batch), args.repeats),
        "dlapps.explain gradcam": median_seconds(
            lambda: dlapps.explain(model, batch, method="gradcam"), args.repeats
        ),
    }
    reference = timings["forward-backward (eager)"]
    print(f"batch {args.batch} of 64x64x3, median of {args.repeats} runs each")
    print(f"{'measurement':<34} {'ms':>8} {'/ fwd-bwd (eager)':>18}")
    for name, seconds in timings.items():
        print(f"{name:<34} {seconds * 1000:>8.1f} {seconds / reference:>18.2f}")
    ratio = timings["dlapps.explain gradcam"] / reference
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"dlapps.explain gradcam {verdict} the {TARGET_RATIO:g}x target ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
