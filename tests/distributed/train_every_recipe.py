"""Trains every registered recipe a few steps under one strategy and writes
what the distributed-training tests compare: the training loss and the
trained weights of each run.

    python train_every_recipe.py mirrored OUT      # 2 logical CPUs: a one-device
                                                   # reference, then MirroredStrategy
    dlapps.launch(2, [..., "multi_worker", OUT])   # one process per worker

Each process trains all recipes, so TensorFlow starts once per process.
"""

import json
import sys
from pathlib import Path

import keras
import numpy as np

STEPS = 3  # global steps, each of 2 per-replica batches
REPLICAS = 2

mode, out = sys.argv[1], Path(sys.argv[2])
if mode == "mirrored":
    import tensorflow as tf

    # As in keras/src/backend/tensorflow/distribute_test.py: two logical CPUs.
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import dlapps  # noqa: E402
from dlapps.distribute import chief_in_tf_config  # noqa: E402

if mode == "mirrored":
    runs = {"reference": dlapps.resolve_strategy("one_device")}
    runs["mirrored"] = dlapps.resolve_strategy("mirrored")
    assert runs["mirrored"].num_replicas_in_sync == REPLICAS
    label = ""
else:
    runs = {"multi_worker": dlapps.resolve_strategy("multi_worker")}
    label = "-chief" if chief_in_tf_config() else "-worker"

for name in sys.argv[3:] or dlapps.list_recipes():
    for run, strategy in runs.items():
        recipe_class = dlapps.get_recipe_class(name)
        overrides = {**recipe_class.smoke_overrides, "epochs": 1, "deterministic": True}
        if run == "reference":
            # One device averaging the gradients of two batches is what two
            # replicas computing one batch each do.
            overrides["gradient_accumulation_steps"] = REPLICAS
        recipe = recipe_class(**overrides)
        # The shuffles' seeds depend on the global seed when they are made.
        keras.utils.set_random_seed(recipe.config.seed)
        train, val = recipe.load_data("synthetic")
        # Repeated: a smoke-sized pipeline may hold fewer batches.
        train = train.repeat().take(STEPS * REPLICAS)
        history = recipe.fit(
            train, val.take(1), strategy=strategy, run_dir=out / name / run, verbose=0
        )
        # In order: layer names may differ between the models of one process.
        np.savez(out / f"{name}-{run}{label}.npz", *recipe.model.get_weights())
        (out / f"{name}-{run}{label}.json").write_text(json.dumps(history.history))
        print(f"{name} {run}{label}: loss {history.history['loss']}", flush=True)
