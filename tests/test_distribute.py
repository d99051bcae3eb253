import json

import pytest
import tensorflow as tf

from dlapps.data.performance import tune_pipeline
from dlapps.distribute import chief_in_tf_config, is_chief, resolve_strategy
from dlapps.distributed_fit import global_steps
from dlapps.errors import ConfigError, DataError


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


def test_chief_is_read_from_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert chief_in_tf_config()
    cluster = {"worker": ["localhost:1", "localhost:2"]}
    for index, chief in ((0, True), (1, False)):
        task = {"type": "worker", "index": index}
        monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
        assert chief_in_tf_config() is chief
    with_chief = {**cluster, "chief": ["localhost:3"]}
    task = {"type": "worker", "index": 0}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": with_chief, "task": task}))
    assert not chief_in_tf_config()
    assert is_chief(tf.distribute.get_strategy())


def test_global_steps_are_counted_and_refuses_too_few_batches():
    batches = tf.data.Dataset.range(10).batch(2)  # 5 batches
    assert global_steps(batches) == 5
    assert global_steps(batches, replicas=2) == 2
    assert global_steps(batches.filter(lambda x: True), replicas=2) is None
    with pytest.raises(DataError, match="Received: batches=5, replicas=8"):
        global_steps(batches, replicas=8)


def test_tuned_pipeline_keeps_elements_and_sets_options():
    data = tf.data.Dataset.range(20).map(lambda x: x * 2).batch(4)
    tuned = tune_pipeline(data, deterministic=True)
    assert [list(b.numpy()) for b in tuned] == [list(b.numpy()) for b in data]
    options = tune_pipeline(data).options()
    assert options.deterministic is False
    assert options.experimental_optimization.map_parallelization
    assert options.experimental_optimization.parallel_batch
