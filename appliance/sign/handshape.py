"""A hand with per-finger flexion, thumb placement and spread; the named handshapes.

A :class:`Handshape` is numbers only: for index, middle, ring and pinky the bend at
the knuckle (``base``) and at the two finger joints (``curl``), 0 straight .. 1 fully
bent; how far the fingers spread; where the thumb tip is (in hand units, see below);
and whether the middle finger crosses over the index (R). Because everything is a
number, two shapes blend smoothly (:meth:`Handshape.lerp`) as the hand moves from one
sign or letter to the next.

Hand units: ``u`` runs from the wrist along the middle finger's metacarpal (the
knuckles are at ``u = KNUCKLE_U``), ``v`` across the palm toward the thumb, ``w`` out
of the palm (the way the fingers curl). :mod:`appliance.sign.handgeom` turns a shape,
a wrist, a direction and a palm turn into polygons.

``SHAPES`` names every letter of the ASL manual alphabet (``a`` .. ``z``), the ASL
numbers ``0`` .. ``10`` (``n0`` .. ``n10``) and the classifier shapes the lexicon uses
(``flat``, ``open_b``, ``claw``, ``flat_o``, ``bent_b`` ...). These are approximations
drawn for a 2D avatar, not measurements of real hands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Vec3 = tuple[float, float, float]
Four = tuple[float, float, float, float]

KNUCKLE_U = 72.0
"""Where the fingers start along the hand (hand units)."""
FINGER_V: Four = (22.0, 7.0, -8.0, -22.0)
"""Across-palm position of each finger's knuckle: index, middle, ring, pinky."""
FINGER_LEN: Four = (58.0, 64.0, 60.0, 48.0)
SEGMENTS = (0.46, 0.30, 0.24)
"""Share of a finger's length in each of its three bones."""
SPREAD_DEG: Four = (11.0, 3.0, -5.0, -13.0)
"""How far each finger fans out (toward the thumb = positive) at ``spread = 1``."""
THUMB_BASE: Vec3 = (14.0, 26.0, 4.0)
FINGERS = ("index", "middle", "ring", "pinky")


@dataclass(frozen=True)
class Handshape:
    """One hand configuration (all numbers, blendable)."""

    base: Four
    """Knuckle (MCP) bend of index, middle, ring, pinky: 0 straight .. 1 at ~90 degrees."""
    curl: Four
    """Finger-joint (PIP and DIP) bend: 0 straight .. 1 curled into the palm."""
    thumb: Vec3
    """Thumb tip in hand units (u along, v toward the thumb side, w out of the palm)."""
    spread: float = 0.0
    """0 fingers together .. 1 spread wide."""
    cross: float = 0.0
    """0 .. 1: the middle finger crosses over the index (the letter R)."""

    def lerp(self, other: Handshape, k: float) -> Handshape:
        """The shape ``k`` (0..1) of the way from this one to ``other``."""
        j = 1.0 - k

        def mix4(a: Four, b: Four) -> Four:
            return (a[0] * j + b[0] * k, a[1] * j + b[1] * k,
                    a[2] * j + b[2] * k, a[3] * j + b[3] * k)

        th = (self.thumb[0] * j + other.thumb[0] * k, self.thumb[1] * j + other.thumb[1] * k,
              self.thumb[2] * j + other.thumb[2] * k)
        return Handshape(mix4(self.base, other.base), mix4(self.curl, other.curl), th,
                         self.spread * j + other.spread * k, self.cross * j + other.cross * k)

    def vector(self) -> tuple[float, ...]:
        """All parameters as one tuple (to compare shapes)."""
        return (*self.base, *self.curl, *self.thumb, self.spread, self.cross)

    def wiggled(self, phase: float, amount: float = 0.35) -> Handshape:
        """Fingers fluttering one after another (``phase`` in radians)."""
        base = tuple(min(1.0, max(0.0, b + amount * 0.5 * (1 + math.sin(phase - i * 1.2))))
                     for i, b in enumerate(self.base))
        return Handshape((base[0], base[1], base[2], base[3]), self.curl, self.thumb,
                         self.spread, self.cross)


def finger_joints(shape: Handshape, i: int) -> list[Vec3]:
    """Knuckle, two finger joints and tip of finger ``i`` (0 index .. 3 pinky)."""
    sigma = math.radians(shape.spread * SPREAD_DEG[i] + (12.0 * shape.cross if i == 1 else 0.0))
    du, dv = math.cos(sigma), math.sin(sigma)
    theta = [math.radians(88.0 * shape.base[i])]
    theta.append(theta[0] + math.radians(100.0 * shape.curl[i]))
    theta.append(theta[1] + math.radians(75.0 * shape.curl[i]))
    u, v, w = KNUCKLE_U, FINGER_V[i], 0.0
    if i == 1 and shape.cross:
        v += 6.0 * shape.cross
        w += 7.0 * shape.cross  # the crossing finger lies in front of the index
    pts: list[Vec3] = [(u, v, w)]
    for seg, th in zip(SEGMENTS, theta, strict=True):
        ln = FINGER_LEN[i] * seg
        u += ln * math.cos(th) * du
        v += ln * math.cos(th) * dv
        w += ln * math.sin(th)
        pts.append((u, v, w))
    return pts


# --- thumb placements (hand units) -----------------------------------------------

T_SIDE: Vec3 = (64.0, 36.0, 8.0)
"""Alongside the index of a fist (A)."""
T_UP: Vec3 = (96.0, 40.0, 2.0)
"""Straight up beside a fist (ten, thumbs up)."""
T_OUT: Vec3 = (60.0, 80.0, 0.0)
"""Stretched out from the palm (L, Y, 5)."""
T_PARALLEL: Vec3 = (86.0, 50.0, 6.0)
"""Out and along the index (G, Q)."""
T_ACROSS: Vec3 = (52.0, -6.0, 14.0)
"""Folded across the palm (B, 4)."""
T_FRONT: Vec3 = (62.0, -4.0, 38.0)
"""Across the front of curled fingers (S, and fists that show other fingers)."""
T_TUCK_T: Vec3 = (80.0, 16.0, 30.0)
"""Between index and middle (T)."""
T_TUCK_N: Vec3 = (82.0, 0.0, 26.0)
"""Between middle and ring (N)."""
T_TUCK_M: Vec3 = (80.0, -15.0, 26.0)
"""Between ring and pinky (M)."""
T_UNDER: Vec3 = (58.0, 4.0, 22.0)
"""Tucked under bent fingertips (E)."""
T_C: Vec3 = (46.0, 24.0, 56.0)
"""Curved, facing the fingers (C)."""
T_BETWEEN: Vec3 = (78.0, 14.0, 24.0)
"""Up between index and middle (K, P)."""


def _touching(base: Four, curl: Four, fingers: tuple[int, ...]) -> Vec3:
    """Thumb tip where the given fingertips are (O, F, D, 6-9)."""
    probe = Handshape(base, curl, T_SIDE)
    tips = [finger_joints(probe, i)[-1] for i in fingers]
    n = len(tips)
    return (sum(t[0] for t in tips) / n, sum(t[1] for t in tips) / n + 4.0,
            sum(t[2] for t in tips) / n + 6.0)


_FINGER_CODES: dict[str, tuple[float, float]] = {
    "x": (0.0, 0.0),    # extended
    "f": (0.95, 1.0),   # folded into a fist
    "c": (0.3, 0.55),   # curved (C)
    "o": (0.5, 0.68),   # rounded to meet the thumb (O)
    "e": (0.3, 1.0),    # tips bent down to the palm (E)
    "b": (0.9, 0.0),    # bent at the knuckle only (flat O, bent B)
    "h": (0.1, 0.95),   # hooked (X, claw)
    "k": (0.45, 0.0),   # angled forward from the knuckle (K, P)
    "r": (0.15, 0.2),   # relaxed
}


def shape(fingers: str, thumb: Vec3 | tuple[int, ...], spread: float = 0.0,
          cross: float = 0.0) -> Handshape:
    """Build a shape from one code letter per finger (``x`` extended, ``f`` fist, ...)
    and a thumb placement, or a tuple of fingers whose tips the thumb touches."""
    if len(fingers) != 4:
        raise ValueError(f"four finger codes needed, got {fingers!r}")
    codes = [_FINGER_CODES[c] for c in fingers]
    base: Four = (codes[0][0], codes[1][0], codes[2][0], codes[3][0])
    curl: Four = (codes[0][1], codes[1][1], codes[2][1], codes[3][1])
    if thumb and isinstance(thumb[0], int):
        tip = _touching(base, curl, tuple(int(i) for i in thumb))
    else:
        tip = (float(thumb[0]), float(thumb[1]), float(thumb[2]))
    return Handshape(base, curl, tip, spread, cross)


LETTERS: dict[str, Handshape] = {
    "a": shape("ffff", T_SIDE),
    "b": shape("xxxx", T_ACROSS),
    "c": shape("cccc", T_C, 0.1),
    "d": shape("xooo", (1,)),
    "e": shape("eeee", T_UNDER),
    "f": shape("oxxx", (0,), 0.6),
    "g": shape("xfff", T_PARALLEL),
    "h": shape("xxff", T_FRONT),
    "i": shape("fffx", T_FRONT),
    "j": shape("fffx", T_FRONT),
    "k": shape("xkff", T_BETWEEN, 0.5),
    "l": shape("xfff", T_OUT),
    "m": shape("ffff", T_TUCK_M),
    "n": shape("ffff", T_TUCK_N),
    "o": shape("oooo", (0, 1)),
    "p": shape("xkff", T_BETWEEN, 0.5),
    "q": shape("xfff", T_PARALLEL),
    "r": shape("xxff", T_FRONT, 0.0, 1.0),
    "s": shape("ffff", T_FRONT),
    "t": shape("ffff", T_TUCK_T),
    "u": shape("xxff", T_FRONT),
    "v": shape("xxff", T_FRONT, 1.0),
    "w": shape("xxxf", (3,), 1.0),
    "x": shape("hfff", T_FRONT),
    "y": shape("fffx", T_OUT, 1.0),
    "z": shape("xfff", T_FRONT),
}
"""The ASL manual alphabet (orientation and movement live in :mod:`fingerspell`)."""

NUMBERS: dict[int, Handshape] = {
    0: shape("oooo", (0, 1)),
    1: shape("xfff", T_FRONT),
    2: shape("xxff", T_FRONT, 1.0),
    3: shape("xxff", T_OUT, 1.0),
    4: shape("xxxx", T_ACROSS, 1.0),
    5: shape("xxxx", T_OUT, 1.0),
    6: shape("xxxf", (3,), 1.0),
    7: shape("xxfx", (2,), 1.0),
    8: shape("xfxx", (1,), 1.0),
    9: shape("oxxx", (0,), 1.0),
    10: shape("ffff", T_UP),
}
"""ASL numbers 0-10 (palm turn and the shake of ten in :mod:`fingerspell`)."""

CLASSIFIERS: dict[str, Handshape] = {
    "flat": shape("xxxx", T_SIDE),
    "open_b": shape("xxxx", T_OUT),
    "open": shape("xxxx", T_OUT, 1.0),
    "relaxed": shape("rrrr", (40.0, 50.0, 16.0), 0.3),
    "claw": shape("hhhh", T_C, 0.8),
    "bent_b": shape("bbbb", T_ACROSS),
    "flat_o": shape("bbbb", (0, 1)),
    "bent_v": shape("hhff", T_FRONT, 1.0),
    "open_8": shape("xbxx", T_OUT, 0.8),
    "ily": shape("xffx", T_OUT, 0.6),
    "point": shape("xfff", T_FRONT),
    "fist": shape("ffff", T_FRONT),
    "thumb": shape("ffff", T_UP),
    "cup": shape("cccc", T_C, 0.0),
}
"""Shapes signs use that are not letters or numbers."""


def _all() -> dict[str, Handshape]:
    out: dict[str, Handshape] = dict(CLASSIFIERS)
    out.update(LETTERS)
    out.update({f"n{n}": s for n, s in NUMBERS.items()})
    return out


SHAPES: dict[str, Handshape] = _all()
"""Every named shape: letters ``a``..``z``, numbers ``n0``..``n10``, classifiers."""


def get(name: str) -> Handshape:
    """The named shape; a clear error for a name the lexicon misspelt."""
    try:
        return SHAPES[name]
    except KeyError:
        raise KeyError(f"unknown handshape {name!r}; known: {', '.join(sorted(SHAPES))}") \
            from None
