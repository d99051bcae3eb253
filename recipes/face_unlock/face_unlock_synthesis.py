"""A deterministic generator of face-like images with identities.

An identity is a parameter vector: face shape, skin tone, hair (colour and
style), eyes (spacing, size, height, iris colour), brows, nose, mouth and
optional glasses or beard. Each image of an identity adds nuisance: pose
(turn and tilt), scale and position, lighting, expression (smile, open
mouth, closed eyes), sensor noise, background and, sometimes, an occluding
patch. Identities are indexed, so training and validation can draw
disjoint ones.
"""

import numpy as np

SKIN = np.array(
    [[255, 224, 196], [240, 200, 160], [224, 172, 125], [198, 134, 90], [141, 85, 54],
     [95, 60, 40]], "float64",
) / 255  # fmt: skip
HAIR = np.array(
    [[20, 15, 10], [60, 40, 25], [120, 80, 40], [200, 160, 90], [150, 50, 20], [160, 160, 160]],
    "float64",
) / 255  # fmt: skip
IRIS = np.array([[60, 40, 20], [40, 90, 160], [60, 120, 60], [100, 100, 110]], "float64") / 255
HAIR_STYLES = ("short", "long", "bald", "fringe")


def identity(index, seed):
    """The parameter vector of identity `index` (a dict of floats)."""
    rng = np.random.default_rng([seed, index, 0])
    skin = SKIN[rng.integers(len(SKIN))] * rng.uniform(0.92, 1.08, 3)
    return {
        "face_width": rng.uniform(0.52, 0.72),
        "face_height": rng.uniform(0.78, 0.95),
        "chin": rng.uniform(0.0, 0.35),
        "skin": np.clip(skin, 0, 1),
        "hair": HAIR[rng.integers(len(HAIR))],
        "hair_style": int(rng.integers(len(HAIR_STYLES))),
        "hairline": rng.uniform(0.45, 0.7),
        "eye_spacing": rng.uniform(0.28, 0.42),
        "eye_height": rng.uniform(-0.22, -0.08),
        "eye_size": rng.uniform(0.06, 0.1),
        "iris": IRIS[rng.integers(len(IRIS))],
        "brow_thickness": rng.uniform(0.015, 0.045),
        "brow_tilt": rng.uniform(-0.25, 0.25),
        "nose_length": rng.uniform(0.12, 0.26),
        "nose_width": rng.uniform(0.05, 0.11),
        "mouth_width": rng.uniform(0.18, 0.34),
        "mouth_height": rng.uniform(0.3, 0.45),
        "lips": np.clip(skin * rng.uniform(0.55, 0.8, 3) + [0.15, 0.0, 0.0], 0, 1),
        "glasses": bool(rng.random() < 0.3),
        "beard": bool(rng.random() < 0.25),
    }


class FaceRenderer:
    """Draws faces on a `size` x `size` canvas, in a face-centred frame where
    the face spans about [-1, 1] on both axes."""

    def __init__(self, size):
        self.size = size
        grid = (np.arange(size) + 0.5) / size * 2 - 1
        self.y, self.x = np.meshgrid(grid, grid, indexing="ij")

    def render(self, face, rng):
        """One image of `face` with random nuisance; float32 `(size, size, 3)` in [0, 1]."""
        # Pose and framing: the inverse transform maps canvas to face frame.
        scale = rng.uniform(0.8, 1.05)
        tilt = rng.uniform(-0.25, 0.25)
        turn = rng.uniform(-0.25, 0.25)  # yaw, as a horizontal shift of the features
        shift = rng.uniform(-0.1, 0.1, 2)
        cos, sin = np.cos(tilt), np.sin(tilt)
        x0, y0 = (self.x - shift[0]) / scale, (self.y - shift[1]) / scale
        x, y = cos * x0 + sin * y0, -sin * x0 + cos * y0
        image = self._background(rng)

        def paint(mask, colour, alpha=1.0):
            nonlocal image
            weight = np.clip(mask, 0, 1)[..., None] * alpha
            image = image * (1 - weight) + np.asarray(colour) * weight

        width, height = face["face_width"], face["face_height"]
        # Hair behind the head (long hair), then the head.
        style = HAIR_STYLES[face["hair_style"]]
        if style == "long":
            paint(_ellipse(x, y + 0.1, width * 1.25, height * 1.1), face["hair"])
        chin = 1 + face["chin"] * np.clip(y, 0, None)  # a narrower jaw below the eyes
        paint(_ellipse(x * chin, y, width, height), face["skin"])
        top = _ellipse(x, y, width * 1.04, height * 1.03) * (y < -face["hairline"] * height)
        if style in ("short", "long", "fringe"):
            paint(top, face["hair"])
        if style == "fringe":
            paint(_box(x, y + height * 0.55, width * 0.8, 0.1), face["hair"])
        if face["beard"]:
            beard = _ellipse(x * chin, y, width, height) * (y > height * 0.25)
            paint(beard, face["hair"], 0.85)

        look = turn * 0.6
        expression = rng.uniform(-1, 1)  # frown .. smile
        eyes_closed = rng.random() < 0.1
        for side in (-1, 1):
            ex = side * face["eye_spacing"] + look
            ey = face["eye_height"]
            size = face["eye_size"] * (0.35 if eyes_closed else 1.0)
            paint(_ellipse(x - ex, y - ey, face["eye_size"] * 1.6, size), [0.95, 0.95, 0.95])
            if not eyes_closed:
                paint(_ellipse(x - ex, y - ey, size * 0.7, size * 0.7), face["iris"])
            brow_y = ey - face["eye_size"] * 1.8 - side * face["brow_tilt"] * (x - ex)
            brow = _box(x - ex, y - brow_y, face["eye_size"] * 1.8, face["brow_thickness"])
            paint(brow, face["hair"] * 0.8)
            if face["glasses"]:
                ring = _ellipse(x - ex, y - ey, 0.16, 0.12) - _ellipse(x - ex, y - ey, 0.13, 0.09)
                paint(ring, [0.1, 0.1, 0.12])
        if face["glasses"]:
            paint(_box(x - look, y - face["eye_height"], 0.06, 0.012), [0.1, 0.1, 0.12])

        nose_top = face["eye_height"] + 0.05
        nose = _ellipse(x - look * 1.2, y - nose_top - face["nose_length"],
                        face["nose_width"], face["nose_length"])  # fmt: skip
        paint(nose, face["skin"] * 0.8, 0.7)
        mouth_y = face["mouth_height"] - expression * 0.3 * (x - look) ** 2 / face["mouth_width"]
        opening = rng.uniform(0.012, 0.05) if rng.random() < 0.3 else 0.018
        paint(_box(x - look, y - mouth_y, face["mouth_width"] / 2, opening), face["lips"])

        # Lighting from one side, noise, and sometimes an occluding patch.
        angle = rng.uniform(0, 2 * np.pi)
        light = 1 + rng.uniform(0, 0.45) * (np.cos(angle) * self.x + np.sin(angle) * self.y)
        image = image * light[..., None] * rng.uniform(0.7, 1.2)
        if rng.random() < 0.25:
            centre = rng.uniform(-0.6, 0.6, 2)
            patch = _box(self.x - centre[0], self.y - centre[1], *rng.uniform(0.1, 0.35, 2))
            paint(patch, rng.uniform(0, 1, 3))
        image = image + rng.normal(0, rng.uniform(0.01, 0.05), image.shape)
        return np.clip(image, 0, 1).astype("float32")

    def _background(self, rng):
        colours = rng.uniform(0, 1, (2, 3))
        angle = rng.uniform(0, 2 * np.pi)
        ramp = (np.cos(angle) * self.x + np.sin(angle) * self.y + 1.5) / 3
        image = colours[0] * (1 - ramp[..., None]) + colours[1] * ramp[..., None]
        if rng.random() < 0.5:  # a textured wall
            frequency = rng.uniform(3, 12)
            image = image * (1 + 0.15 * np.sin(frequency * np.pi * self.x)[..., None])
        return image


def _ellipse(x, y, a, b, softness=0.02):
    """A soft-edged filled ellipse of half-axes `a`, `b` at the origin."""
    distance = np.sqrt((x / a) ** 2 + (y / b) ** 2)
    return np.clip((1 - distance) / softness + 0.5, 0, 1)


def _box(x, y, half_width, half_height, softness=0.01):
    inside = np.minimum(half_width - np.abs(x), half_height - np.abs(y))
    return np.clip(inside / softness + 0.5, 0, 1)


def make_faces(identities, images_per_identity, size, seed, first_identity=0):
    """Renders `images_per_identity` images of each of `identities` people.

    Args:
        identities: how many people.
        images_per_identity: images of each person.
        size: image side in pixels.
        seed: the same seed gives the same people and images.
        first_identity: index of the first person; disjoint ranges give
            disjoint people (training and validation).

    Returns:
        `(images, labels)`: uint8 `(n, size, size, 3)` and int32 person indices.
    """
    renderer = FaceRenderer(size)
    images, labels = [], []
    for person in range(first_identity, first_identity + identities):
        face = identity(person, seed)
        rng = np.random.default_rng([seed, person, 1])
        for _ in range(images_per_identity):
            images.append(renderer.render(face, rng))
            labels.append(person)
    images = np.round(np.stack(images) * 255).astype("uint8")
    return images, np.array(labels, "int32")
