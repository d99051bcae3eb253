"""P x K batches: P labels with K examples each, for metric learning."""

from dlapps.errors import DataError


def pk_batches(labels, labels_per_batch, examples_per_label, seed=0):
    """A `tf.data.Dataset` of index batches of `labels_per_batch` labels x
    `examples_per_label` examples each, for triplet or contrastive losses.

    Each pass over the dataset (each epoch) draws anew: the labels with at
    least two examples are shuffled and cut into groups of
    `labels_per_batch`; each label contributes `examples_per_label`
    examples, drawn without replacement where it has enough, with
    replacement otherwise. Passes are deterministic given `seed`.

    Args:
        labels: one integer label per example.
        labels_per_batch: P, >= 2.
        examples_per_label: K, >= 2.
        seed: seeds the draws; pass `n` draws with `[seed, n]`.

    Returns:
        A dataset of int64 vectors of `P * K` example indices; index your
        examples with them, e.g. `batches.map(lambda i: tf.gather(x, i))`.

    Raises:
        DataError: fewer than `labels_per_batch` labels have two examples.

    Example:

    >>> batches = dlapps.data.pk_batches(person_ids, 8, 4, seed=0)
    >>> train = batches.map(lambda i: (tf.gather(images, i), tf.gather(person_ids, i)))
    """
    # Imported here: `import dlapps` (and `dlapps list`) must stay light.
    import numpy as np
    import tensorflow as tf

    if labels_per_batch < 2 or examples_per_label < 2:
        raise ValueError(
            "P x K batches need P >= 2 and K >= 2. Received: "
            f"labels_per_batch={labels_per_batch}, examples_per_label={examples_per_label}"
        )
    labels = np.asarray(labels).reshape(-1)
    members = {label: np.flatnonzero(labels == label) for label in np.unique(labels)}
    eligible = sorted(label for label, indices in members.items() if len(indices) >= 2)
    if len(eligible) < labels_per_batch:
        raise DataError(
            f"P x K batches need {labels_per_batch} labels with at least 2 examples each; "
            f"the data has {len(eligible)}. Received: labels_per_batch={labels_per_batch}"
        )
    passes = iter(range(2**62))

    def one_pass():
        rng = np.random.default_rng([seed, next(passes)])
        order = rng.permutation(eligible)
        for start in range(0, len(order) - labels_per_batch + 1, labels_per_batch):
            batch = []
            for label in order[start : start + labels_per_batch]:
                indices = members[label]
                replace = len(indices) < examples_per_label
                batch.append(rng.choice(indices, examples_per_label, replace=replace))
            yield np.concatenate(batch).astype("int64")

    signature = tf.TensorSpec((labels_per_batch * examples_per_label,), tf.int64)
    return tf.data.Dataset.from_generator(one_pass, output_signature=signature)
