import numpy as np
import pytest
import tensorflow as tf

import dlapps
from dlapps import testing
from dlapps.recipes.perceptron import perceptron_data


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return testing.train_for_test("perceptron", tmp_path_factory.mktemp("p") / "run")


def test_synthetic_data_is_deterministic_balanced_and_separable():
    features, labels = perceptron_data.make_separable(500, seed=3)
    again, again_labels = perceptron_data.make_separable(500, seed=3)
    np.testing.assert_array_equal(features, again)
    np.testing.assert_array_equal(labels, again_labels)
    other, _ = perceptron_data.make_separable(500, seed=4)
    assert not np.allclose(features, other)
    # Majority-class guessing must fail: both classes are well represented.
    assert 0.2 < labels.mean() < 0.8
    # Raw units differ by orders of magnitude, so in-graph normalization matters.
    assert features[:, 1].std() > 10 * features[:, 0].std()


def test_serving_label_is_the_thresholded_score(trained):
    recipe, _ = trained
    results = recipe.predict(recipe.example_inputs())
    for result in results:
        assert result["label"] == [int(result["score"][0] >= 0)]


def test_decision_boundary_attributions_are_complete(trained):
    recipe, _ = trained
    inputs = recipe.example_inputs()[:6]
    explanation = recipe.explain(inputs)
    baseline = explanation.extras["baseline"]
    baseline_score = recipe.model.predict(baseline[None], verbose=0)[0, 0]
    # For a linear unit, gradient x (input - baseline) sums to f(x) - f(baseline).
    np.testing.assert_allclose(
        explanation.attributions.sum(axis=1),
        explanation.predictions - baseline_score,
        rtol=1e-3,
        atol=1e-4,
    )


def test_reads_a_csv_file(tmp_path):
    path = tmp_path / "points.csv"
    rows = ["temperature,label,pressure"]
    features, labels = perceptron_data.make_separable(100, seed=1)
    rows += [f"{x:.3f},{y},{p:.3f}" for (x, p), y in zip(features, labels, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    recipe = dlapps.load_recipe("perceptron", batch_size=10)
    train, val = recipe.load_data(str(path))
    train_count = sum(len(y) for _, y in train)
    val_count = sum(len(y) for _, y in val)
    assert train_count + val_count == 100
    assert 5 < val_count < 40
    batch_x, _ = next(iter(train))
    assert batch_x.shape[1] == 2


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty file"),
        ("a,b\n1,2\n", "line 1: expected a header"),
        ("x1,x2,label\n1,2,0\n1,abc,1\n", "line 3: features must be numbers"),
        ("x1,x2,label\n1,2,0\n1,2,7\n", "line 3: 'label' must be 0 or 1"),
        ("x1,x2,label\n1,2,0\n1,2\n", "line 3: expected 3 values"),
        ("x1,x2,label\n1,2,0\n3,4,0\n", "needs examples of both labels"),
    ],
)
def test_bad_csv_names_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(dlapps.errors.DataError, match=message) as raised:
        dlapps.load_recipe("perceptron").load_data(str(path))
    assert str(path) in str(raised.value)


def test_rejects_tfds_and_folders(tmp_path):
    recipe = dlapps.load_recipe("perceptron")
    with pytest.raises(dlapps.errors.DataError, match="no TensorFlow Datasets source"):
        recipe.load_data("tfds:mnist")
    with pytest.raises(dlapps.errors.DataError, match="not a folder"):
        recipe.load_data(str(tmp_path))


def test_parse_inputs_rejects_malformed_points():
    recipe = dlapps.load_recipe("perceptron")
    np.testing.assert_array_equal(recipe.parse_inputs(["1,2", "-3.5,4e2"]), [[1, 2], [-3.5, 400]])
    with pytest.raises(dlapps.errors.DataError, match="Received: '1,2,3'"):
        recipe.parse_inputs(["1,2,3"])


@pytest.mark.slow
def test_learns_the_separable_task_where_majority_guessing_fails(tmp_path):
    recipe = dlapps.load_recipe("perceptron")
    train, val = recipe.load_data("synthetic")
    recipe.fit(train, val, run_dir=tmp_path / "run", verbose=0)
    metrics = recipe.evaluate(val)
    labels = np.concatenate([y.numpy().ravel() for _, y in val])
    majority = max(labels.mean(), 1 - labels.mean())
    assert majority < 0.65
    assert metrics["accuracy"] >= 0.98


def test_metrics_on_a_reshuffling_dataset_match_the_same_data_in_order(trained):
    recipe, _ = trained
    train, _ = recipe.load_data("synthetic")  # reshuffles on every iteration
    features, labels = next(iter(train.unbatch().batch(10_000)))
    in_order = tf.data.Dataset.from_tensor_slices((features, labels)).batch(16)
    assert recipe.evaluate(train) == recipe.evaluate(in_order)
