"""One resolver for tf.distribute strategies, and what training on several
replicas changes.

Batches and the learning rate. A recipe's `batch_size` is the batch of one
replica (one GPU, or one worker's CPU): each replica takes whole batches of
the recipe's pipeline in turn, so one step trains on `R` consecutive batches
(a global batch of `batch_size x R` examples) with `R` replicas in sync, and
every replica sees batches exactly as one device would. Batches left over at
the end of an epoch that cannot give every replica one are dropped. The
gradient is the mean of the replicas' gradients, and `learning_rate` is used
as configured: dlapps does not rescale it. When adding replicas grows the
global batch `k`-fold, the linear scaling rule (Goyal et al. 2017,
"Accurate, Large Minibatch SGD") suggests `learning_rate x k`, with a few
epochs of warm-up when `k` is large; or keep the global batch and divide
`batch_size` by `k`. One device reproduces a step on `k` replicas with
`gradient_accumulation_steps=k`.
"""

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
            - `"multi_worker"`: `MultiWorkerMirroredStrategy` over the cluster
              of `TF_CONFIG`; TensorFlow requires it to be created before
              any other TensorFlow call, so resolve it first and pass the
              strategy object to `fit`;
            - `"tpu"`: `TPUStrategy` on the TPU named by `TPU_NAME` (or local).

    Example:

    >>> strategy = resolve_strategy("auto")
    >>> with strategy.scope():
    ...     model = recipe.build_model()
    """
    import tensorflow as tf  # here, so the CLI can list STRATEGIES without TensorFlow

    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy == "multi_worker":  # first: listing devices would start TensorFlow
        _require_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
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
    if strategy == "tpu":
        return _tpu_strategy()
    raise ConfigError(
        f"Unknown strategy. Expected one of {', '.join(STRATEGIES)}. "
        f"Received: strategy={strategy!r}"
    )


def is_multi_worker(strategy):
    """Whether `strategy` is a `MultiWorkerMirroredStrategy`, which Keras'
    `model.fit` cannot drive (keras-team/keras#20585)."""
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy):
    """Whether this process writes the run folder and checkpoints: always,
    except on the non-chief workers of a multi-worker cluster."""
    return getattr(strategy.extended, "should_checkpoint", True)


def chief_in_tf_config():
    """Whether `TF_CONFIG` (when set) makes this process the chief: the task
    of type `chief`, or worker 0 when the cluster names no chief. Reads only
    the environment, so the CLI can tell before TensorFlow starts."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    config = _require_tf_config()
    task = config["task"]
    if "chief" in config["cluster"]:
        return task.get("type") == "chief"
    return int(task["index"]) == 0


def _require_tf_config():
    """The parsed `TF_CONFIG`; `ConfigError` when it is missing or malformed."""
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
    return config


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
