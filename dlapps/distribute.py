"""One resolver for tf.distribute strategies."""

import json
import os

from dlapps.errors import ConfigError

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")


def resolve_strategy(strategy="auto"):
    """Returns a `tf.distribute.Strategy` for a name.

    Args:
        strategy: a `tf.distribute.Strategy` (returned as is) or one of
            - `"auto"`: `MirroredStrategy` over all visible GPUs when there are
              two or more, `OneDeviceStrategy` on the GPU when there is one,
              else the default strategy (the CPU);
            - `"one_device"`: the first GPU, or the CPU;
            - `"mirrored"`: `MirroredStrategy` over all GPUs, or over all
              logical CPUs when there is no GPU;
            - `"multi_worker"`: `MultiWorkerMirroredStrategy`; needs `TF_CONFIG`;
            - `"tpu"`: `TPUStrategy` on the TPU named by `TPU_NAME` (or local).

    Example:

    >>> strategy = resolve_strategy("auto")
    >>> with strategy.scope():
    ...     model = recipe.build_model()
    """
    import tensorflow as tf  # here, so the CLI can list STRATEGIES without TensorFlow

    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    if strategy == "auto":
        if len(gpus) > 1:
            return tf.distribute.MirroredStrategy(gpus)
        if gpus:
            return tf.distribute.OneDeviceStrategy(gpus[0])
        return tf.distribute.get_strategy()
    if strategy == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0] if gpus else "/cpu:0")
    if strategy == "mirrored":
        devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if strategy == "multi_worker":
        _require_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    if strategy == "tpu":
        return _tpu_strategy()
    raise ConfigError(
        f"Unknown strategy. Expected one of {', '.join(STRATEGIES)}. "
        f"Received: strategy={strategy!r}"
    )


def _require_tf_config():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ConfigError(
            "strategy='multi_worker' needs the TF_CONFIG environment variable "
            "(cluster and task of this worker)."
        )
    try:
        config = json.loads(raw)
        config["cluster"]["worker"]
        config["task"]["index"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ConfigError(
            f"TF_CONFIG must be JSON with 'cluster.worker' and 'task.index' ({error}). "
            f"Received: TF_CONFIG={raw!r}"
        ) from error


def _tpu_strategy():
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=os.environ.get("TPU_NAME", "local")
        )
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError) as error:
        raise ConfigError(f"strategy='tpu' found no TPU: {error}") from error
    return tf.distribute.TPUStrategy(resolver)
