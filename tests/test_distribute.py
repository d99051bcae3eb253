import json
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from dlapps.distribute import resolve_strategy
from dlapps.errors import ConfigError


def test_auto_falls_back_to_the_default_strategy_without_gpus():
    if tf.config.list_logical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    assert resolve_strategy("auto") is tf.distribute.get_strategy()
    assert isinstance(resolve_strategy("one_device"), tf.distribute.OneDeviceStrategy)


def test_strategy_objects_pass_through():
    strategy = tf.distribute.get_strategy()
    assert resolve_strategy(strategy) is strategy


def test_bad_names_and_missing_tf_config_are_user_errors(monkeypatch):
    with pytest.raises(ConfigError, match="Received: strategy='quantum'"):
        resolve_strategy("quantum")
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="needs the TF_CONFIG environment variable"):
        resolve_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {}}))
    with pytest.raises(ConfigError, match="TF_CONFIG must be JSON with 'cluster.worker'"):
        resolve_strategy("multi_worker")


def test_mirrored_training_on_two_logical_cpus(tmp_path):
    # As in keras/src/backend/tensorflow/distribute_test.py: split the CPU in
    # two logical devices, before TensorFlow initialises, in a fresh process.
    code = textwrap.dedent(
        f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import dlapps
        strategy = dlapps.resolve_strategy("mirrored")
        assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
        recipe = dlapps.load_recipe("perceptron", epochs=2, num_examples=200)
        train, val = recipe.load_data("synthetic")
        recipe.fit(train, val, strategy=strategy, run_dir={str(tmp_path / "run")!r}, verbose=0)
        print("accuracy", recipe.evaluate(val)["accuracy"])
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert float(result.stdout.split("accuracy")[-1]) > 0.8
    assert (tmp_path / "run" / "model.keras").is_file()
