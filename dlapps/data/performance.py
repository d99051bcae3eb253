"""The tf.data performance options the engine gives every training pipeline."""

import tensorflow as tf


def tune_pipeline(dataset, deterministic=False):
    """Returns `dataset` with tf.data's performance options and a prefetch.

    Recipes write their pipelines for clarity; the engine adds what makes any
    pipeline fast:

    - autotuning of parallelism and buffer sizes;
    - `map_parallelization`: stateless maps run in parallel even where the
      recipe gave no `num_parallel_calls`;
    - `parallel_batch`: batches are assembled by several threads;
    - `deterministic`: whether parallel stages must keep element order;
      letting a slow element be overtaken speeds up maps whose cost varies
      (decoding files of different lengths);
    - a final `prefetch(AUTOTUNE)`, so the next batch is ready while the
      training step runs.

    Args:
        dataset: a `tf.data.Dataset`.
        deterministic: keep the order of elements fixed (reproducible runs).

    Example:

    >>> train = tune_pipeline(train, deterministic=config.deterministic)
    """
    options = tf.data.Options()
    options.autotune.enabled = True
    options.deterministic = deterministic
    options.experimental_optimization.map_parallelization = True
    options.experimental_optimization.parallel_batch = True
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)
