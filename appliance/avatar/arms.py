"""Arm and hand geometry for gestures, in body design units (head centre at 0, 0).

The forearm swings about the elbow from hanging (out of the stage) to the
gesture's target by the pose's ``gesture_weight``, always through the outside so
it never sweeps across the face. Pointing uses an index finger along the
direction; greeting and "this way" show an open palm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from appliance.avatar import draw as d
from appliance.avatar.timeline import AvatarPose

FOREARM = 330.0
HAND_SCALE = 1.3


@dataclass(frozen=True)
class ArmTarget:
    side: int
    """-1: the arm on screen left; 1: screen right."""
    elbow: tuple[float, float]
    angle_deg: float
    """Forearm direction at the stroke (0 = screen right, -90 = up)."""
    hand: str
    """``point`` or ``open``."""
    point_deg: float = 0.0
    """Index direction for ``point`` hands."""


TARGETS: dict[str, ArmTarget] = {
    "point_left": ArmTarget(-1, (-300.0, 690.0), 263.0, "point", 184.0),
    "point_right": ArmTarget(1, (300.0, 690.0), -83.0, "point", -4.0),
    "point_ahead": ArmTarget(1, (250.0, 740.0), -108.0, "open"),
    "open_hand": ArmTarget(1, (300.0, 680.0), -86.0, "open"),
}
REST_ANGLE = 90.0


def _finger(base: tuple[float, float], angle_deg: float, length: float, r: float) -> np.ndarray:
    a = math.radians(angle_deg)
    tip = (base[0] + length * math.cos(a), base[1] + length * math.sin(a))
    return d.capsule(base, tip, r, r * 0.85)


def arm_polygons(pose: AvatarPose) -> list[tuple[np.ndarray, d.Color]]:
    """Polygons (design units) with their colours, back to front."""
    target = TARGETS.get(pose.gesture)
    if target is None:
        return []
    w = pose.gesture_weight
    ang = REST_ANGLE + (target.angle_deg - REST_ANGLE) * w
    ex, ey = target.elbow
    elbow = (ex, ey + (1 - w) * 120.0)
    wobble = 0.0
    if pose.gesture == "open_hand":
        wobble = 12.0 * math.sin(2 * math.pi * 2.2 * max(0.0, pose.gesture_time)) * w
    elif pose.gesture == "point_ahead":
        wobble = -6.0 * math.sin(math.pi * min(1.0, max(0.0, pose.gesture_time) / 0.5)) * w
    a = math.radians(ang)
    wrist = (elbow[0] + FOREARM * math.cos(a), elbow[1] + FOREARM * math.sin(a))
    shoulder = (target.side * 290.0, 400.0)
    out: list[tuple[np.ndarray, d.Color]] = [
        (d.capsule(shoulder, elbow, 62, 52), d.JACKET),
        (d.capsule(elbow, wrist, 50, 40), d.JACKET),
    ]
    cuff_a = (wrist[0] - 26 * math.cos(a), wrist[1] - 26 * math.sin(a))
    out.append((d.capsule(cuff_a, wrist, 41, 41), d.SHIRT))
    hx, hy = wrist[0] + 40 * math.cos(a), wrist[1] + 40 * math.sin(a)
    hand: list[tuple[np.ndarray, d.Color]] = []
    if target.hand == "point":
        pd = target.point_deg
        hand.append((d.ellipse(hx, hy, 44, 36, pd), d.SKIN))
        hand.append((_finger((hx, hy - 10), pd, 88, 14), d.SKIN))
        hand.append((_finger((hx, hy + 8), pd + (12 if target.side > 0 else -12), 28, 14),
                    d.SKIN_SHADE))
        hand.append((_finger((hx, hy - 22), -90 + (20 if target.side < 0 else -20), 40, 13),
                    d.SKIN))
    else:
        up = -90.0 + wobble
        hand.append((d.ellipse(hx, hy, 42, 46, wobble), d.SKIN))
        for i, spread in enumerate((-24.0, -8.0, 8.0, 22.0)):
            length = (54, 64, 62, 50)[i]
            base = (hx + (i - 1.5) * 21.0, hy - 28)
            hand.append((_finger(base, up + spread * 0.5, length, 11), d.SKIN))
        thumb_side = -1 if target.side > 0 else 1
        hand.append((_finger((hx + thumb_side * 30, hy + 6), up + thumb_side * 62, 48, 12),
                    d.SKIN))
        hand.append((d.ellipse(hx, hy + 6, 22, 14, wobble), d.SKIN_SHADE))
    centre = np.array([hx, hy])
    out.extend(((p - centre) * HAND_SCALE + centre, c) for p, c in hand)
    return out
