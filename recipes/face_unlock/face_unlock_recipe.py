"""Face unlock: a siamese embedding network that verifies faces it never saw
in training, at an unlock threshold calibrated for a target false-accept rate."""

import dataclasses
import json
from typing import Literal

import dlapps

CALIBRATION = "calibration.json"
ROC_FIGURE = "roc.png"


@dataclasses.dataclass
class FaceUnlockConfig(dlapps.RecipeConfig):
    """Hyperparameters of the face verifier.

    Args:
        batch_size: images per training step, drawn as `batch_size //
            images_per_person` people x `images_per_person` images (P x K).
        images_per_person: K, images of each person in a training batch.
        steps_per_epoch: training steps per epoch.
        loss: `"triplet"` (semi-hard mining) or `"contrastive"`.
        margin: the loss margin; `None` for the loss's default (0.2 on
            squared distances for triplet, 1.0 on distances for contrastive).
        target_far: the false-accept rate the unlock threshold is
            calibrated for, on held-out people.
        image_size: side of the square the model crops and resizes faces to.
        embedding_dim: length of the face embedding.
        width: filters of the first convolution block (then 2x, 3x, 4x).
        random_flip: mirror training faces at random, an augmentation for
            small folders; off by default, as it slowed learning on the
            synthetic faces within the 10-minute budget.
        identities: synthetic people for training.
        images_per_identity: synthetic images of each person.
        validation_identities: synthetic people held out for validation and
            calibration; never seen in training.
        validation_fraction: share of a folder's people held out.
        skip_bad_files: skip undecodable images with a warning instead of
            failing.
    """

    learning_rate: float = 3e-3
    batch_size: int = 64
    epochs: int = 12
    images_per_person: int = 4
    steps_per_epoch: int = 60
    loss: Literal["triplet", "contrastive"] = "triplet"
    margin: float | None = None
    target_far: float = 1e-3
    image_size: int = 48
    embedding_dim: int = 64
    width: int = 32
    random_flip: bool = False
    identities: int = 480
    images_per_identity: int = 10
    validation_identities: int = 100
    validation_fraction: float = 0.2
    skip_bad_files: bool = False

    def validate(self):
        super().validate()
        require = dlapps.config.require
        require(self.images_per_person >= 2, "images_per_person", self.images_per_person,
                "must be >= 2 (a positive pair needs two images)")  # fmt: skip
        require(self.batch_size >= 2 * self.images_per_person, "batch_size", self.batch_size,
                "must hold at least 2 people (>= 2 x images_per_person)")  # fmt: skip
        require(self.steps_per_epoch >= 1, "steps_per_epoch", self.steps_per_epoch, "must be >= 1")
        require(self.margin is None or self.margin > 0, "margin", self.margin, "must be > 0")
        require(0 < self.target_far < 1, "target_far", self.target_far, "must be in (0, 1)")
        require(self.image_size >= 32, "image_size", self.image_size, "must be >= 32")
        require(self.embedding_dim >= 2, "embedding_dim", self.embedding_dim, "must be >= 2")
        require(self.width >= 8, "width", self.width, "must be >= 8")
        require(self.identities >= 2, "identities", self.identities, "must be >= 2")
        require(self.images_per_identity >= 2, "images_per_identity",
                self.images_per_identity, "must be >= 2")  # fmt: skip
        require(self.validation_identities >= 2, "validation_identities",
                self.validation_identities, "must be >= 2")  # fmt: skip
        require(0 < self.validation_fraction < 1, "validation_fraction",
                self.validation_fraction, "must be in (0, 1)")  # fmt: skip

    @property
    def people_per_batch(self):
        return self.batch_size // self.images_per_person


class FaceUnlock(dlapps.Recipe):
    """Face verification for unlocking a device: a compact CNN maps a face to
    a unit-length embedding, trained with a triplet loss over P x K batches
    so that faces of one person lie close; a probe unlocks when its cosine
    similarity to the owner's enrolled template reaches a threshold
    calibrated on people never seen in training.

    Example:

    ```python
    recipe = dlapps.load_recipe("face_unlock")
    train, val = recipe.load_data("~/faces")        # one subfolder per person
    recipe.fit(train, val, run_dir="runs/faces")    # calibrates the threshold
    owner = recipe.enroll("ada", recipe.parse_inputs(["ada1.jpg", "ada2.jpg"]))
    score, unlocked = recipe.verify(owner, recipe.parse_inputs(["probe.jpg"])[0])
    ```
    """

    name = "face_unlock"
    task = "face verification"
    summary = "Siamese face-verification CNN with enrollment and a calibrated unlock threshold"
    config_class = FaceUnlockConfig
    metric_names = ("roc_auc", "eer", "tar_at_far_1e-3", "frr_at_threshold")
    explain_methods = ("similarity_map", "integrated_gradients", "occlusion")
    head_layers = ("neck", "projection")
    data_help = (
        "a folder with one subfolder per person holding JPEG or PNG faces (any size, RGB or "
        "grayscale, at least 2 per person); people are split between training and "
        "validation. Or tfds:lfw"
    )
    input_help = (
        "paths of JPEG or PNG face images; explain takes them two by two as pairs "
        "(a.jpg b.jpg). Enroll and verify with the enroll and verify commands"
    )
    intended_use = (
        "Verifying that a face belongs to an enrolled person (device unlock, sign-in), "
        "with a threshold set for a target false-accept rate on people unseen in training."
    )
    limitations = (
        "Not a liveness check: a photo of the owner may unlock. The false-accept rate is "
        "calibrated on the validation people and holds only for people like them; "
        "rates can differ across groups the data under-represents, so measure them on "
        "your users. The synthetic default draws cartoon faces; train on real photos "
        "before use."
    )
    smoke_overrides = {
        "epochs": 1,
        "identities": 8,
        "images_per_identity": 4,
        "validation_identities": 4,
        "batch_size": 8,
        "images_per_person": 2,
        "steps_per_epoch": 2,
        "width": 8,
        "image_size": 32,
        "embedding_dim": 8,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._calibration = None
        self._compiled_key = self._compiled_function = None

    # Model.

    def build_model(self):
        from dlapps.recipes.face_unlock.face_unlock_model import build_embedding_net

        config = self.config
        return build_embedding_net(
            image_size=config.image_size,
            embedding_dim=config.embedding_dim,
            width=config.width,
            random_flip=config.random_flip,
            regularizer=self.make_regularizer(),
            seed=config.seed,
        )

    def compile_arguments(self):
        losses = dlapps.losses
        config = self.config
        margin = {} if config.margin is None else {"margin": config.margin}
        if config.loss == "contrastive":
            loss = losses.ContrastiveLoss(**margin)
        else:
            loss = losses.TripletSemiHardLoss(**margin)
        return {"loss": loss}

    def make_optimizer(self, learning_rate=None):
        """The config's optimizer, with the learning rate decayed to 2% along
        a cosine over all training steps."""
        if learning_rate is None:
            learning_rate = self.cosine_decay(self.config.steps_per_epoch, alpha=0.02)
        return super().make_optimizer(learning_rate)

    # Data.

    def load_synthetic(self):
        from dlapps.recipes.face_unlock.face_unlock_synthesis import make_faces

        config = self.config
        size, seed = config.image_size, config.seed
        train = make_faces(config.identities, config.images_per_identity, size, seed)
        # Validation people come from a far range of identity indices, so
        # they stay unseen whatever the number of training people.
        val = make_faces(config.validation_identities, config.images_per_identity, size, seed,
                         first_identity=10**6)  # fmt: skip
        return self._datasets(*train, *val)

    def load_path(self, path):
        from dlapps.recipes.face_unlock.face_unlock_images import scan_person_folder

        config = self.config
        images, labels, people = scan_person_folder(path, config.image_size, config.skip_bad_files)
        return self._split_people(images, labels, people, str(path))

    def load_tfds(self, dataset_name):
        import numpy as np
        import tensorflow as tf

        from dlapps.recipes.face_unlock.face_unlock_images import square_image

        split, _ = dlapps.data.load_tfds(
            dataset_name, ("image", "label"), "a face set with identity labels such as lfw"
        )
        size = self.config.image_size
        images, names = [], []
        for example in split.prefetch(tf.data.AUTOTUNE).as_numpy_iterator():
            images.append(np.asarray(square_image(example["image"], size)))
            label = example["label"]
            names.append(label.decode() if isinstance(label, bytes) else str(label))
        people = sorted(set(names))
        index = {name: i for i, name in enumerate(people)}
        labels = np.array([index[name] for name in names], "int32")
        return self._split_people(np.stack(images), labels, people, f"tfds:{dataset_name}")

    def _split_people(self, images, labels, people, source):
        """Holds out a share of the people (never of one person's images)."""
        import numpy as np

        config = self.config
        in_val = np.array(
            dlapps.data.split_by_group(
                [people[label] for label in labels], config.validation_fraction, str(config.seed)
            )
        )
        counts = np.bincount(labels, minlength=len(people))
        val_people = {label for label in labels[in_val] if counts[label] >= 2}
        train_people = {label for label in labels[~in_val] if counts[label] >= 2}
        if len(val_people) < 2 or len(train_people) < 2:
            raise dlapps.errors.DataError(
                f"{source}: too few people with 2 or more images to split by person: "
                f"{len(train_people)} for training and {len(val_people)} for validation; each "
                "side needs at least 2"
            )
        return self._datasets(images[~in_val], labels[~in_val], images[in_val], labels[in_val])

    def _datasets(self, train_images, train_labels, val_images, val_labels):
        """Training: P x K batches, `steps_per_epoch` of them per epoch.
        Validation: every image once, in order, for all-pairs metrics."""
        import numpy as np
        import tensorflow as tf

        config = self.config
        people = len(np.unique(train_labels))
        indices = dlapps.data.pk_batches(
            train_labels, min(config.people_per_batch, people), config.images_per_person,
            seed=config.seed,
        )  # fmt: skip
        images, labels = tf.constant(train_images), tf.constant(train_labels)
        train = (
            indices.repeat()
            .take(config.steps_per_epoch)
            .map(
                lambda i: (tf.gather(images, i), tf.gather(labels, i)),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .prefetch(tf.data.AUTOTUNE)
        )
        val = tf.data.Dataset.from_tensor_slices((val_images, val_labels)).batch(config.batch_size)
        return train, val

    # Verification.

    @property
    def threshold(self):
        """The unlock threshold on cosine similarity, from calibration."""
        return self.calibration["threshold"]

    @property
    def calibration(self):
        """The calibration of this run: threshold, target FAR, pair counts."""
        if self._calibration is None and self.run_dir is not None:
            path = self.run_dir / CALIBRATION
            if path.exists():
                self._calibration = json.loads(path.read_text(encoding="utf-8"))
        if self._calibration is None:
            raise dlapps.errors.RunFolderError(
                f"Recipe '{self.name}' has no calibrated threshold: train it with fit(), or "
                "load a run folder holding calibration.json"
            )
        return self._calibration

    def calibrate(self, data):
        """Sets the unlock threshold for `target_far` on the pairs of `data`
        (held-out people) and saves it to `RUN_DIR/calibration.json`."""
        import numpy as np

        from dlapps.recipes.face_unlock import face_unlock_metrics as metrics

        scores, genuine = self._scored_pairs(data)
        far, tar, thresholds = metrics.roc(scores, genuine)
        target = self.config.target_far
        threshold = metrics.threshold_at_far(far, thresholds, target)
        if threshold == float("inf"):  # an impostor scores highest: stay just above it
            threshold = float(np.nextafter(scores[~genuine].max(), np.inf))
        far_at, frr_at = metrics.rates_at(scores, genuine, threshold)
        impostors = int((~genuine).sum())
        self._calibration = {
            "threshold": threshold,
            "target_far": target,
            "far": far_at,
            "frr": frr_at,
            # Where false accepts and false rejects are equally likely: an
            # enrollment photo below it looks more like someone else.
            "eer_threshold": min(
                metrics.threshold_at_far(far, thresholds, metrics.equal_error_rate(far, tar)),
                threshold,
            ),
            "genuine_pairs": int(genuine.sum()),
            "impostor_pairs": impostors,
            # Below about 1 / impostor pairs, a FAR cannot be measured.
            "smallest_measurable_far": 1.0 / impostors,
        }
        if impostors * target < 1:
            import warnings

            warnings.warn(
                f"Calibration had {impostors} impostor pairs, too few to measure "
                f"target_far={target:g}; the threshold is the strictest the data allows. "
                "Hold out more people.",
                stacklevel=2,
            )
        if self.run_dir is not None:
            dlapps.atomic_write_text(
                self.run_dir / CALIBRATION, json.dumps(self._calibration, indent=2) + "\n"
            )

    def enroll(self, name, images):
        """Returns the template of person `name` from their face images.

        Args:
            name: the person's name.
            images: uint8 RGB images, a batch or a list of images of any sizes.

        Returns:
            A `FaceTemplate`: the normalized mean embedding.
        """
        from dlapps.recipes.face_unlock.face_unlock_gallery import FaceTemplate

        if not name or not str(name).strip():
            raise dlapps.errors.ConfigError(
                f"Enroll needs a person's name. Received: name={name!r}"
            )
        if len(images) == 0:
            raise dlapps.errors.DataError(f"Enroll '{name}' needs at least one face image")
        return FaceTemplate.from_embeddings(str(name), self.embed(images))

    def verify(self, template, image):
        """Compares one face image with an enrolled template.

        Returns:
            `(score, unlocked)`: cosine similarity and whether it reaches the
            calibrated threshold; the exported `verify` signature computes
            the same.
        """
        import numpy as np

        self._require_model()
        outputs = self._compiled("verify")(
            np.asarray(image, "uint8")[None], np.asarray(template.embedding, "float32")[None]
        )
        return float(outputs["score"][0]), bool(outputs["unlocked"][0])

    def _compiled(self, name):
        """Serving function `name` as a `tf.function` with its signature,
        built once per model and threshold: the graph the export holds."""
        import tensorflow as tf

        key = (name, id(self.model), self.threshold)
        if self._compiled_key != key:
            function, signature = self.serving_signatures()[name]
            self._compiled_function = tf.function(function, input_signature=signature)
            self._compiled_key = key
        return self._compiled_function

    def embed(self, images):
        """Unit-length embeddings `(n, embedding_dim)` of uint8 images; a
        list of images of different sizes is embedded one by one."""
        import numpy as np

        self._require_model()
        if isinstance(images, np.ndarray) and images.ndim == 4:
            return np.asarray(self.model(images, training=False))
        return np.concatenate(
            [np.asarray(self.model(np.asarray(i, "uint8")[None], training=False)) for i in images]
        )

    def model_fingerprint(self):
        """A short hash of the model's weights, recorded in galleries."""
        from dlapps.recipes.face_unlock.face_unlock_gallery import model_fingerprint

        self._require_model()
        return model_fingerprint(self.model)

    def _scored_pairs(self, data):
        """Scores and genuine flags of every pair of faces in `data`."""
        import numpy as np

        from dlapps.recipes.face_unlock import face_unlock_metrics as metrics

        self._require_model()
        embeddings, labels = [], []
        for images, batch_labels in data:
            embeddings.append(np.asarray(self.model(images, training=False)))
            labels.append(np.asarray(batch_labels))
        labels = np.concatenate(labels) if labels else np.zeros(0, "int32")
        scores, genuine = metrics.pair_scores(
            np.concatenate(embeddings) if embeddings else np.zeros((0, 1)), labels
        )
        if genuine.all() or not genuine.any():
            raise dlapps.errors.DataError(
                "Verification needs faces of at least 2 people, one of them with 2 or more "
                f"images. Received: {len(labels)} images of {len(set(labels.tolist()))} people"
            )
        return scores, genuine

    # Inference and export.

    def parse_inputs(self, inputs):
        """Reads face images into a uint8 batch, cropped and resized to
        `image_size` as the model does."""
        from pathlib import Path

        import numpy as np

        from dlapps.recipes.face_unlock.face_unlock_images import read_image

        images = []
        for text in inputs:
            path = Path(text).expanduser()
            if not path.is_file():
                raise dlapps.errors.DataError(f"Image file not found: {path}")
            images.append(read_image(path, self.config.image_size))
        return np.stack(images)

    def serving_signatures(self):
        """`serving_default` and `embed`: uint8 images of any size ->
        embeddings; `embed_bytes`: JPEG or PNG bytes -> embeddings;
        `verify`: probe images and enrolled templates -> score, unlocked."""
        import tensorflow as tf

        from dlapps.recipes.face_unlock.face_unlock_images import decode_square

        model = self.model
        size = self.config.image_size
        threshold = tf.constant(self.threshold, tf.float32)

        def embed(image):
            return {"embedding": model(image, training=False)}

        def embed_bytes(image_bytes):
            images = tf.map_fn(
                lambda data: decode_square(data, size),
                tf.convert_to_tensor(image_bytes, tf.string),
                fn_output_signature=tf.TensorSpec((size, size, 3), tf.uint8),
            )
            return embed(images)

        def verify(image, template):
            score = tf.reduce_sum(model(image, training=False) * template, axis=-1)
            return {"score": score, "unlocked": score >= threshold}

        dim = self.config.embedding_dim
        images = [tf.TensorSpec((None, None, None, 3), tf.uint8, name="image")]
        return {
            "serving_default": (embed, images),
            "embed": (embed, images),
            "embed_bytes": (embed_bytes, [tf.TensorSpec((None,), tf.string, name="image_bytes")]),
            "verify": (verify, [*images, tf.TensorSpec((None, dim), tf.float32, name="template")]),
        }

    def predict(self, inputs):
        """The embedding of each face image."""
        import numpy as np

        return [{"embedding": e.round(6).tolist()} for e in np.asarray(self.embed(inputs))]

    def example_inputs(self):
        """Four synthetic faces: two pairs (the same person, then two people)."""
        from dlapps.recipes.face_unlock.face_unlock_synthesis import make_faces

        config = self.config
        images, _ = make_faces(2, 3, config.image_size, config.seed + 1, first_identity=2 * 10**6)
        return images[:4]  # person A three times, then person B

    def signature_examples(self):
        import io

        from PIL import Image

        images = self.example_inputs()
        encoded = []
        for index, image in enumerate(images):  # a JPEG of another size, then PNGs
            buffer = io.BytesIO()
            picture = Image.fromarray(image)
            if index == 0:
                picture.resize((90, 80)).save(buffer, "JPEG")
            else:
                picture.save(buffer, "PNG")
            encoded.append(buffer.getvalue())
        templates = self.embed(images[::-1])
        return {
            "serving_default": images,
            "embed": images,
            "embed_bytes": encoded,
            "verify": (images, templates),
        }

    def example_cli_inputs(self, folder):
        from PIL import Image

        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for index, image in enumerate(self.example_inputs()[:2]):
            path = folder / f"face{index}.png"
            Image.fromarray(image).save(path)
            paths.append(str(path))
        return paths

    # Evaluation and explanation.

    def evaluate(self, data, verbose=0):
        """Verification metrics over every pair of faces in `data`: ROC AUC,
        equal error rate, true-accept rate at a FAR of 1e-3, and the
        false-accept and false-reject rates at the calibrated threshold;
        writes `RUN_DIR/roc.png` when the recipe has a run folder."""
        from dlapps.recipes.face_unlock import face_unlock_metrics as metrics

        scores, genuine = self._scored_pairs(data)
        far, tar, _ = metrics.roc(scores, genuine)
        far_at, frr_at = metrics.rates_at(scores, genuine, self.threshold)
        results = {
            "roc_auc": metrics.roc_auc(far, tar),
            "eer": metrics.equal_error_rate(far, tar),
            "tar_at_far_1e-3": metrics.tar_at_far(far, tar, 1e-3),
            "frr_at_threshold": frr_at,
            "far_at_threshold": far_at,
            "threshold": float(self.threshold),
            "genuine_pairs": float(genuine.sum()),
            "impostor_pairs": float((~genuine).sum()),
        }
        if self.run_dir is not None:
            metrics.save_roc_figure(far, tar, (far_at, 1 - frr_at), self.run_dir / ROC_FIGURE)
        return results

    def explain(self, inputs, method=None, target=None, sanity_check=False, **options):
        """Explains pairs of faces: `inputs` is a batch of an even number of
        images, explained two by two, or a pair `(first, second)` of
        batches. The default `similarity_map` splits each pair's score over
        the regions of both faces."""
        from dlapps.recipes.face_unlock.face_unlock_explain import METHOD, explain_pairs

        self._require_model()
        first, second = _as_pairs(inputs)
        method = method or self.explain_methods[0]
        threshold = self.threshold
        if method == METHOD:
            return explain_pairs(self.model, first, second, threshold, sanity_check)
        return dlapps.explain(
            self,
            (first, second),
            method=method,
            target=dlapps.explainers.PairSimilarity(threshold),
            sanity_check=sanity_check,
            **options,
        )

    def explain_options(self, method):
        # Explained from the resized, scaled image, where gradients exist.
        return {"features": "resize"}

    def parse_target(self, text):
        raise dlapps.errors.ConfigError(
            "face_unlock explains the similarity of each pair of images; it takes no "
            f"--target. Received: target={text!r}"
        )

    @classmethod
    def cli_commands(cls):
        from dlapps.recipes.face_unlock.face_unlock_cli import enroll, verify

        return (enroll, verify)


def _as_pairs(inputs):
    import numpy as np

    if isinstance(inputs, tuple) and len(inputs) == 2:
        return np.asarray(inputs[0]), np.asarray(inputs[1])
    images = np.asarray(inputs)
    if len(images) % 2:
        raise dlapps.errors.ConfigError(
            "Face pairs are explained two by two: pass an even number of images. "
            f"Received: {len(images)} images"
        )
    return images[0::2], images[1::2]
