"""Hair for the mesh face: a side-parted bob that frames the face, shaded and stranded.

Shapes are in the painter's design units (head centre at the origin, eye line at
y = -6, chin near y = 235); the painter maps them with the head's pose. The back hair
goes behind the face and the neck, the front hair (the part and the sweep over the
forehead and temples) over it. Strands are thin strokes along the hair's flow, lighter
toward the light (upper left), so the mass reads as hair rather than a cap.
"""

from __future__ import annotations

import numpy as np

from appliance.avatar import draw as d

HAIR_DARK: d.Color = (40, 30, 38)
"""The hair in its own shadow (under the sweep, at the ends)."""
HAIR_LIT = np.array([92.0, 72.0, 86.0])
"""The hair where the key light falls fully (its mass is shaded from ``HAIR_DARK`` to this)."""
ROUND = 70.0
"""Design units over which the hair's mass turns away from the viewer at its outline."""
SHADOW: d.Color = (52, 70, 128)
"""Skin in the hair's shadow (the sweep over the forehead casts it)."""
SHADOW_ALPHA = 0.45
FACE_UNDER = np.array(d.ellipse(0, -30, 140, 230))
"""Where the front hair's shadow may fall: the face under it (design units)."""
STRAND_LIGHT: d.Color = (104, 88, 100)
STRAND_DARK: d.Color = (30, 22, 28)
STRAND_ALPHA: dict[d.Color, float] = {STRAND_LIGHT: 0.35, STRAND_DARK: 0.4, d.HAIR_LIGHT: 0.3}
"""How strongly each strand colour (and the crown's sheen) shows over the hair."""


def _join(*curves: np.ndarray) -> np.ndarray:
    return np.concatenate([c if i == 0 else c[1:] for i, c in enumerate(curves)])


def back() -> np.ndarray:
    """Behind the head: the crown down to a bob's ends just under the jaw."""
    right = _join(d.bezier((0, -288), (120, -290), (190, -200), (184, -60), 14),
                  d.bezier((184, -60), (180, 60), (196, 150), (176, 214), 12),
                  d.bezier((176, 214), (150, 240), (110, 226), (96, 180), 8))
    left = right[::-1] * np.array([-1.0, 1.0])
    return np.concatenate([right, left[1:]])


PART_X = -46.0
"""Where the hair parts (screen left of the middle)."""


def front() -> list[np.ndarray]:
    """Over the face: the big sweep from the part across the forehead to the right
    temple and cheek, and the short side left of the part."""
    sweep = _join(
        d.bezier((PART_X, -262), (40, -270), (150, -230), (178, -120), 12),
        d.bezier((178, -120), (190, -40), (170, 40), (150, 90), 10),   # outer edge, down
        d.bezier((150, 90), (140, 20), (128, -40), (112, -78), 8),     # inner edge, up
        d.bezier((112, -78), (80, -112), (10, -118), (PART_X + 4, -150), 10),
        d.bezier((PART_X + 4, -150), (PART_X, -190), (PART_X, -230), (PART_X, -262), 6),
    )
    side = _join(
        d.bezier((PART_X, -262), (-120, -262), (-178, -200), (-184, -110), 10),
        d.bezier((-184, -110), (-190, -20), (-172, 50), (-156, 80), 8),
        d.bezier((-156, 80), (-150, 10), (-140, -50), (-128, -84), 8),
        d.bezier((-128, -84), (-110, -118), (-80, -128), (PART_X - 2, -150), 8),
        d.bezier((PART_X - 2, -150), (PART_X, -200), (PART_X, -240), (PART_X, -262), 6),
    )
    return [sweep, side]


def strands() -> list[tuple[np.ndarray, d.Color, float]]:
    """(polyline, colour, width in design units) of the strands drawn over the hair: many
    fine ones along the flow, unevenly spaced and lit (a fixed seed: every kiosk the same)."""
    rng = np.random.default_rng(11)
    out: list[tuple[np.ndarray, d.Color, float]] = []

    def tone(i: int) -> d.Color:
        return STRAND_DARK if i % 4 == 0 else STRAND_LIGHT

    for i, k in enumerate(np.sort(rng.uniform(0.02, 0.98, 30))):
        # the sweep: from the part, arcing over to the right temple
        j = rng.normal(0.0, 4.0, 4)
        start = (PART_X + 6 + 10 * k, -258 + 100 * k)
        curve = d.bezier(start, (40 + 60 * k + j[0], -262 + 120 * k + j[1]),
                         (150 - 20 * k + j[2], -200 + 90 * k), (176 - 50 * k + j[3], -60 + 120 * k),
                         16)
        out.append((curve, tone(i), float(rng.uniform(1.0, 2.2))))
    for i, k in enumerate(np.sort(rng.uniform(0.05, 0.95, 18))):
        j = rng.normal(0.0, 4.0, 3)
        start = (PART_X - 6 - 8 * k, -256 + 90 * k)
        curve = d.bezier(start, (-110 - 20 * k + j[0], -258 + 100 * k + j[1]),
                         (-176 + 20 * k + j[2], -190 + 90 * k), (-168 + 30 * k, -40 + 100 * k), 14)
        out.append((curve, tone(i), float(rng.uniform(1.0, 2.2))))
    for side in (-1.0, 1.0):  # the back's ends, below the ears
        for i, k in enumerate(np.linspace(0.1, 0.9, 7)):
            curve = d.bezier((side * (170 + 8 * k), -40 + 60 * k), (side * (180 + 6 * k), 60),
                             (side * (186 - 10 * k), 140), (side * (168 - 40 * k), 205), 10)
            out.append((curve, STRAND_DARK if i % 2 else STRAND_LIGHT,
                        float(rng.uniform(1.2, 2.0))))
    return out


def shine() -> np.ndarray:
    """The soft highlight band across the crown, toward the light."""
    return d.bezier((-150, -200), (-110, -250), (-20, -270), (60, -262), 14)


def shaded(shade: np.ndarray) -> np.ndarray:
    """BGR float image of the hair's mass for a 0..1 light ``shade`` (from its outline)."""
    dark = np.array(HAIR_DARK, np.float64)
    return dark + (HAIR_LIT - dark) * np.clip(shade, 0.0, 1.0)[..., None] ** 1.3
