"""tf-keras-vis methods, occlusion and Integrated Gradients on a trained CNN."""

import explained_models as models
import numpy as np
import pytest

import dlapps
from dlapps.errors import ConfigError
from dlapps.explainers import OutputValue

CAM_METHODS = ["gradcam", "gradcam++", "layercam", "scorecam", "faster_scorecam"]
ALL_METHODS = [*CAM_METHODS, "saliency", "smoothgrad", "integrated_gradients", "occlusion"]


@pytest.fixture(scope="module")
def shapes():
    images, labels, boxes = models.shape_images(8, seed=11)
    return images, labels, boxes


def box_share(attributions, boxes):
    """Mean share of each map's mass inside the shape's box."""
    size = models.SHAPE_SIZE
    heat = np.abs(attributions).mean(axis=-1)
    inside = [
        h[top : top + size, left : left + size].sum() / max(h.sum(), 1e-12)
        for h, (top, left) in zip(heat, boxes, strict=True)
    ]
    return float(np.mean(inside))


@pytest.mark.parametrize("method", ALL_METHODS)
def test_maps_are_finite_aligned_and_find_the_shape(shape_classifier, shapes, method):
    images, labels, boxes = shapes
    explanation = dlapps.explain(shape_classifier, images, method=method)
    assert explanation.kind == "image"
    assert explanation.attributions.shape == images.shape
    assert np.all(np.isfinite(explanation.attributions))
    # The default target is the predicted class, reported as its probability.
    probabilities = shape_classifier.predict(images, verbose=0)
    np.testing.assert_allclose(explanation.predictions, probabilities.max(axis=1), rtol=1e-5)
    # The shape covers 9% of the image; every method puts far more there.
    area = models.SHAPE_SIZE**2 / models.IMAGE_SIZE**2
    assert box_share(explanation.attributions, boxes) > 2 * area


def test_gradcam_on_the_trained_model_passes_the_sanity_check(shape_classifier, shapes):
    explanation = dlapps.explain(shape_classifier, shapes[0], method="gradcam", sanity_check=True)
    assert explanation.sanity.passed, explanation.sanity
    assert explanation.sanity.rank_correlation < 0.5
    assert "sanity check passed" in explanation.title


def test_a_class_index_target_explains_that_class(shape_classifier, shapes):
    images, labels, _ = shapes
    other = (labels + 1) % 4
    explanation = dlapps.explain(shape_classifier, images, method="gradcam", target=list(other))
    probabilities = shape_classifier.predict(images, verbose=0)
    np.testing.assert_allclose(
        explanation.predictions, probabilities[np.arange(len(images)), other], rtol=1e-5
    )
    assert explanation.labels[0].startswith(f"class {other[0]} (p=")


def test_class_names_label_the_figure(shape_classifier, shapes):
    names = ["square", "cross", "horizontal", "vertical"]
    explanation = dlapps.explain(
        shape_classifier, shapes[0][:2], method="saliency", class_names=names
    )
    assert explanation.labels[0].split(" (p=")[0] in names


def test_activation_maximization_synthesizes_the_class(shape_classifier, shapes):
    images, labels, _ = shapes
    explanation = dlapps.explain(
        shape_classifier, images[:2], method="activation_maximization", steps=30
    )
    synthesized = explanation.attributions
    assert synthesized.shape == images[:2].shape
    assert explanation.extras["synthesized"]
    chosen = shape_classifier.predict(images[:2], verbose=0).argmax(axis=1)
    scores = shape_classifier.predict(synthesized, verbose=0)
    # The synthesized input is read as the class it was made for.
    assert (scores.argmax(axis=1) == chosen).all()


def test_scorecam_explains_class_targets_only(shape_classifier, shapes):
    with pytest.raises(ConfigError, match="Score-CAM weighs maps by class probability"):
        dlapps.explain(shape_classifier, shapes[0][:2], method="scorecam", target=OutputValue())


def test_class_activation_maps_need_a_convolution(next_word_model):
    with pytest.raises(ConfigError, match="Method 'gradcam' does not apply to tokens inputs"):
        dlapps.explain(
            next_word_model, np.array(["cat the"]), method="gradcam", features="embedding"
        )


def test_unknown_method_and_option_are_user_errors(shape_classifier, shapes):
    with pytest.raises(ConfigError, match="Unknown explanation method.*Received: method='x'"):
        dlapps.explain(shape_classifier, shapes[0][:1], method="x")
    with pytest.raises(ConfigError, match="Method 'occlusion' has no option windw"):
        dlapps.explain(shape_classifier, shapes[0][:1], method="occlusion", windw=(2, 2, 3))


def test_occlusion_window_and_stride_are_checked(shape_classifier, shapes):
    with pytest.raises(ValueError, match="window and stride need one size per input axis"):
        dlapps.explain(shape_classifier, shapes[0][:1], method="occlusion", window=(4, 4))


def test_smoothgrad_is_repeatable_and_leaves_numpy_alone(shape_classifier, shapes):
    np.random.seed(7)
    expected_next = np.random.random()
    np.random.seed(7)
    first = dlapps.explain(shape_classifier, shapes[0][:2], method="smoothgrad", samples=4)
    assert np.random.random() == expected_next
    again = dlapps.explain(shape_classifier, shapes[0][:2], method="smoothgrad", samples=4)
    np.testing.assert_array_equal(first.attributions, again.attributions)
