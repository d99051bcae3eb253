"""Enrolled face templates, kept in a small JSON gallery file.

A template is the unit-length mean of a person's enrollment embeddings. The
gallery records which model made its templates (a fingerprint of the
embedding weights): templates of another model are meaningless to this one,
so such a gallery is refused rather than silently mismatched.
"""

import dataclasses
import datetime
import hashlib
import json
from pathlib import Path

import numpy as np

import dlapps

FORMAT = "dlapps-face-gallery"
VERSION = 1


@dataclasses.dataclass
class FaceTemplate:
    """A person's enrolled face.

    Args:
        name: the person's name in the gallery.
        embedding: unit-length float32 vector, the mean of the enrollment
            images' embeddings, renormalized.
        images: how many images were enrolled.
    """

    name: str
    embedding: np.ndarray
    images: int

    @classmethod
    def from_embeddings(cls, name, embeddings):
        embeddings = np.asarray(embeddings, "float32")
        mean = embeddings.mean(axis=0)
        return cls(name, mean / max(float(np.linalg.norm(mean)), 1e-12), len(embeddings))


def model_fingerprint(model):
    """A short hash of the embedding weights: templates are only comparable
    under the model that made them."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.asarray(weight.numpy(), "float32").tobytes())
    return digest.hexdigest()[:16]


class Gallery:
    """The templates of enrolled people, read from and saved to `path`.

    Args:
        path: the gallery file (JSON); it need not exist yet.
        fingerprint: `model_fingerprint` of the model in use.

    Raises:
        dlapps.errors.DataError: the file is not a gallery, or was made by
            another model.
    """

    def __init__(self, path, fingerprint):
        self.path = Path(path).expanduser()
        self.fingerprint = fingerprint
        self.templates = {}
        if self.path.exists():
            self._read()

    def _read(self):
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
            people = data["people"]
            templates = {
                name: FaceTemplate(
                    name, np.asarray(entry["embedding"], "float32"), int(entry["images"])
                )  # fmt: skip
                for name, entry in people.items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise dlapps.errors.DataError(f"{self.path}: unreadable gallery ({error})") from None
        if data.get("model") != self.fingerprint:
            raise dlapps.errors.DataError(
                f"{self.path}: the gallery was enrolled with another model "
                f"(fingerprint {data.get('model')}, this run's is {self.fingerprint}); "
                "enroll again with this run or use its own gallery"
            )
        self.templates = templates

    def add(self, template):
        """Adds or replaces the template of `template.name`."""
        self.templates[template.name] = template

    def get(self, name):
        if name not in self.templates:
            enrolled = ", ".join(sorted(self.templates)) or "nobody"
            raise dlapps.errors.DataError(
                f"{self.path}: '{name}' is not enrolled (enrolled: {enrolled})"
            )
        return self.templates[name]

    def save(self):
        """Writes the gallery through a temporary file and a rename."""
        people = {
            name: {
                "embedding": [round(float(v), 7) for v in t.embedding],
                "images": t.images,
            }
            for name, t in sorted(self.templates.items())
        }
        data = {
            "format": FORMAT,
            "version": VERSION,
            "model": self.fingerprint,
            "saved": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "people": people,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        dlapps.atomic_write_text(self.path, json.dumps(data, indent=1) + "\n")
