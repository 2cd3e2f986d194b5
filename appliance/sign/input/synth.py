"""Landmarks synthesised from the avatar's own ASL hand model, with jitter.

No real signing data can be had through the package registries, so the letter
recogniser learns from this: each letter's :class:`~appliance.sign.handshape.Handshape`
is jittered (finger bends, thumb, spread), posed as :mod:`appliance.sign.fingerspell`
holds it (finger direction, palm turn) with random tilt, turn, size, place and noise,
and projected to MediaPipe's 21 points in normalised image coordinates. These are
our model's hands, not real signers' hands: accuracy measured on them says the
recogniser separates our shapes, nothing about real-world accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from appliance.sign.fingerspell import letter_pose
from appliance.sign.handshape import LETTERS, THUMB_BASE, Handshape, finger_joints
from appliance.sign.input.landmarks import HandLandmarks

STATIC_LETTERS = tuple(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in "jz")
"""The letters a single still hand shows (J and Z are traced movements)."""
HAND_LENGTH_U = 128.0
"""Wrist to extended middle fingertip, hand units."""
THUMB_CMC = (6.0, 12.0, 0.0)


@dataclass(frozen=True)
class Jitter:
    """How far synthetic hands stray from the model (standard deviations)."""

    bend: float = 0.06
    """Finger bends (0..1 scale)."""
    thumb_u: float = 3.0
    """Thumb tip position (hand units)."""
    spread: float = 0.08
    angle_deg: float = 12.0
    """In-plane direction of the hand."""
    turn_deg: float = 15.0
    """Palm turn about the hand's long axis."""
    tilt_deg: float = 12.0
    """Fingers tipped toward or away from the camera."""
    noise: float = 0.02
    """Landmark noise as a share of the hand's length (a landmarker's jitter)."""
    size: tuple[float, float] = (0.15, 0.4)
    """Hand length as a share of the image height."""

    def scaled(self, k: float) -> Jitter:
        """Every spread ``k`` times as wide (a harder test set)."""
        return Jitter(self.bend * k, self.thumb_u * k, self.spread * k, self.angle_deg * k,
                      self.turn_deg * k, self.tilt_deg * k, self.noise * k, self.size)


DEFAULT_JITTER = Jitter()
"""The spreads the recogniser is trained and first measured with."""


def hand_points(shape: Handshape) -> np.ndarray:
    """The model hand's 21 landmarks in hand units (u, v, w), MediaPipe's order."""
    tip = shape.thumb
    bx, by, bz = THUMB_BASE
    # the thumb's IP joint bows out from the palm, as handgeom draws it
    ip = (bx + 0.55 * (tip[0] - bx), by + 0.55 * (tip[1] - by) + 8.0,
          bz + 0.55 * (tip[2] - bz) + 4.0)
    pts = [(0.0, 0.0, 0.0), THUMB_CMC, THUMB_BASE, ip, tip]
    for i in range(4):
        pts.extend(finger_joints(shape, i))
    return np.array(pts, dtype=np.float64)


def _jittered(shape: Handshape, j: Jitter, rng: np.random.Generator) -> Handshape:
    def four(vals: tuple[float, ...]) -> tuple[float, float, float, float]:
        out = np.clip(np.array(vals) + rng.normal(0.0, j.bend, 4), 0.0, 1.0)
        return (float(out[0]), float(out[1]), float(out[2]), float(out[3]))

    th = np.array(shape.thumb) + rng.normal(0.0, j.thumb_u, 3)
    spread = float(np.clip(shape.spread + rng.normal(0.0, j.spread), 0.0, 1.0))
    return Handshape(four(shape.base), four(shape.curl), (th[0], th[1], th[2]), spread,
                     shape.cross)


def pose(points: np.ndarray, angle_deg: float, turn_deg: float, tilt_deg: float,
         scale: float, wrist: tuple[float, float], aspect: float = 4 / 3) -> np.ndarray:
    """Hand units -> normalised image (x, y, z) of a right hand facing the camera.

    ``scale`` is image heights per hand unit; ``aspect`` the image's width / height.
    """
    u, v, w = points[:, 0], points[:, 1], points[:, 2]
    tl = math.radians(tilt_deg)
    u, w = u * math.cos(tl) - w * math.sin(tl), u * math.sin(tl) + w * math.cos(tl)
    ph = math.radians(turn_deg)
    v2 = v * math.cos(ph) + w * math.sin(ph)
    depth = w * math.cos(ph) - v * math.sin(ph)
    a = math.radians(angle_deg)
    fx, fy = math.cos(a), math.sin(a)
    mirror = -1.0  # the signer's dominant (right) hand, as the avatar's is drawn
    x = u * fx - v2 * fy * mirror
    y = u * fy + v2 * fx * mirror
    out = np.empty_like(points)
    out[:, 0] = wrist[0] + scale * x / aspect
    out[:, 1] = wrist[1] + scale * y
    out[:, 2] = -scale * depth / aspect  # MediaPipe: smaller z is nearer the camera
    return out


def sample(letter: str, rng: np.random.Generator, jitter: Jitter = DEFAULT_JITTER,
           aspect: float = 4 / 3) -> HandLandmarks:
    """One synthetic right hand holding ``letter``."""
    angle, turn, _ = letter_pose(letter)
    shape = _jittered(LETTERS[letter], jitter, rng)
    pts = hand_points(shape)
    scale = rng.uniform(*jitter.size) / HAND_LENGTH_U
    wrist = (rng.uniform(0.35, 0.65), rng.uniform(0.55, 0.85))
    img = pose(pts, angle + rng.normal(0.0, jitter.angle_deg),
               turn + rng.normal(0.0, jitter.turn_deg), rng.normal(0.0, jitter.tilt_deg),
               scale, wrist, aspect)
    sigma = jitter.noise * HAND_LENGTH_U * scale
    img[:, 0] += rng.normal(0.0, sigma / aspect, 21)
    img[:, 1] += rng.normal(0.0, sigma, 21)
    img[:, 2] += rng.normal(0.0, sigma, 21)
    return HandLandmarks(img, "Right", 1.0, aspect)


def dataset(seed: int, per_letter: int, jitter: Jitter = DEFAULT_JITTER,
            letters: tuple[str, ...] = STATIC_LETTERS) -> tuple[list[HandLandmarks], list[str]]:
    """``per_letter`` hands of each letter from the seed ``seed``."""
    rng = np.random.default_rng(seed)
    hands: list[HandLandmarks] = []
    labels: list[str] = []
    for letter in letters:
        for _ in range(per_letter):
            hands.append(sample(letter, rng, jitter))
            labels.append(letter)
    return hands, labels
