"""Fine-tuning: initialise a new model from a trained one, optionally frozen."""

import warnings


def transfer_weights(model, source):
    """Copies weights from `source` into `model`, layer by layer, by name.

    A layer whose name is missing in `source` or whose weight shapes changed
    (a classification head with another number of classes, say) keeps its
    fresh initialisation.

    Returns:
        The names of the layers that were not transferred.
    """
    fresh = []
    source_layers = {layer.name: layer for layer in source.layers}
    for layer in model.layers:
        target_weights = layer.get_weights()
        if not target_weights:
            continue
        donor = source_layers.get(layer.name)
        donor_weights = donor.get_weights() if donor is not None else []
        if [w.shape for w in donor_weights] == [w.shape for w in target_weights]:
            layer.set_weights(donor_weights)
        else:
            fresh.append(layer.name)
    if len(fresh) == sum(1 for layer in model.layers if layer.weights):
        warnings.warn(
            "init_from transferred no weights: no layer name and shape matched the "
            "earlier run. Name your layers so fine-tuning can find them.",
            stacklevel=2,
        )
    return fresh


def freeze_backbone(model, head_layers=()):
    """Makes every layer but the head non-trainable.

    Keras 3 runs a `BatchNormalization` layer whose `trainable` is False in
    inference mode, so frozen backbones keep their moving statistics.

    Args:
        model: a Keras model.
        head_layers: names of the head's layers; the last layer when empty.

    Returns:
        The names of the trainable (head) layers.
    """
    head = set(head_layers) or {model.layers[-1].name}
    missing = head - {layer.name for layer in model.layers}
    if missing:
        raise ValueError(
            f"head_layers names layers the model does not have. Received: "
            f"head_layers={sorted(missing)}"
        )
    for layer in model.layers:
        layer.trainable = layer.name in head
    return sorted(head)
