"""Makes the layout gallery and the sanity-check table of docs/explain.md.

The figures come from the small trained models of the explanation tests
(tests/explainers/explained_models.py), one per layout, because they put the
evidence somewhere known. Recipe figures are made with `dlapps explain`.

Usage: python docs/explain/make_figures.py
"""

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1] / "tests" / "explainers"))

import explained_models as models  # noqa: E402

import dlapps  # noqa: E402
from dlapps.explainers import (  # noqa: E402
    NextWordProbability,
    OutputValue,
    PairSimilarity,
    ReconstructionError,
)

IMAGE_METHODS = [
    "gradcam",
    "gradcam++",
    "layercam",
    "scorecam",
    "faster_scorecam",
    "saliency",
    "smoothgrad",
    "integrated_gradients",
    "occlusion",
]


def save(explanation, name):
    path = explanation.save(HERE / f"{name}.png")
    print(f"{path.name}: {explanation.title}")


def main():
    shapes = models.train_shape_classifier()
    images, _, _ = models.shape_images(16, seed=5)
    names = {"class_names": ["square", "cross", "horizontal bar", "vertical bar"]}
    print("| method | rank correlation | verdict |\n| --- | --- | --- |")
    for method in IMAGE_METHODS:
        explanation = dlapps.explain(shapes, images, method=method, sanity_check=True, **names)
        sanity = explanation.sanity
        print(
            f"| `{method}` | {sanity.rank_correlation:.3f} | "
            f"{'passed' if sanity.passed else 'flagged'} |"
        )
        if method in ("gradcam", "scorecam"):
            save(explanation, f"image-{method}")
    save(
        dlapps.explain(shapes, images[:3], method="activation_maximization", **names),
        "image-activation_maximization",
    )
    save(
        dlapps.explain(
            models.embedding_model(shapes),
            (images[:3], images[3:6]),
            method="gradcam",
            target=PairSimilarity(threshold=0.95),
            sanity_check=True,
        ),
        "pair-gradcam",
    )
    save(
        dlapps.explain(
            models.train_autoencoder(),
            images[:3],
            method="occlusion",
            target=ReconstructionError(),
            sanity_check=True,
        ),
        "autoencoder-occlusion",
    )
    clips, _ = models.tones(3, seed=3)
    save(
        dlapps.explain(
            models.train_tone_classifier(),
            clips,
            method="gradcam",
            features="log_mel",
            layout="spectrogram",
            class_names=["low tone", "middle tone", "high tone"],
            sanity_check=True,
        ),
        "spectrogram-gradcam",
    )
    prefixes, _ = models.agreement_sentences(4, seed=3)
    save(
        dlapps.explain(
            models.train_next_word_model(),
            prefixes,
            method="integrated_gradients",
            features="embedding",
            target=NextWordProbability(),
            sanity_check=True,
        ),
        "tokens-integrated_gradients",
    )
    readings, _ = models.wear_series(3, seed=3)
    save(
        dlapps.explain(
            models.train_wear_model(),
            readings,
            method="integrated_gradients",
            target=OutputValue("rul", label="RUL"),
            baseline=readings.mean(axis=(0, 1)),
            feature_names=[f"sensor {i}" for i in range(models.SENSORS)],
            sanity_check=True,
        ),
        "series-integrated_gradients",
    )


if __name__ == "__main__":
    main()
