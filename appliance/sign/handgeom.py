"""A :class:`Handshape` placed in the body: 3D hand units projected to 2D polygons.

The hand is posed in hand units (u along, v toward the thumb, w out of the palm),
turned about its own long axis by ``turn_deg`` (0: palm toward the viewer, 90: palm
toward the body's centre line, 180: back of the hand toward the viewer), then laid
along ``angle_deg`` at the wrist. Parts are sorted back to front by depth, so a curled
finger shows in front of a palm that faces the viewer and hides behind one that
faces away. ``mirror`` flips the thumb side: the dominant hand of the drawing frame
(+x is its own side) uses -1, the other hand +1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from appliance.avatar import draw as d
from appliance.sign.handshape import THUMB_BASE, Handshape, Vec3, finger_joints

HAND_SCALE = 1.5
"""Signing hands are drawn larger than the avatar's gesture hands: they must read at 2 m."""
FINGER_R = (9.5, 9.8, 9.2, 8.2)
PALM_TIPS_U = 128.0
"""How far the extended middle fingertip reaches from the wrist (hand units: the
knuckles at 72 plus the finger's 64, less the bend of the wrist joint)."""
PALM_CENTRE_U = 40.0


@dataclass(frozen=True)
class HandPlacement:
    """Where a hand is and how it is held (design units, the drawing frame)."""

    wrist: tuple[float, float]
    angle_deg: float
    """Direction of the fingers (0: +x, -90: up, 90: down)."""
    turn_deg: float
    """Palm turn about the hand's axis: 0 toward the viewer, 90 inward, 180 away."""
    shape: Handshape


def _project(p: Vec3, place: HandPlacement, mirror: int, scale: float) -> tuple[float, float,
                                                                                   float]:
    """Hand units -> (x, y, depth) in design units."""
    u, v, w = p
    ph = math.radians(place.turn_deg)
    v2 = v * math.cos(ph) + w * math.sin(ph)
    depth = w * math.cos(ph) - v * math.sin(ph)
    a = math.radians(place.angle_deg)
    fx, fy = math.cos(a), math.sin(a)
    lx, ly = -fy, fx
    wx, wy = place.wrist
    s = scale
    return (wx + s * (u * fx + v2 * lx * mirror), wy + s * (u * fy + v2 * ly * mirror), depth)


def _palm_outline() -> list[Vec3]:
    pts: list[Vec3] = []
    for w in (-9.0, 9.0):
        for k in np.linspace(0.0, 2 * math.pi, 20, endpoint=False):
            u = 38.0 + 38.0 * math.cos(k)
            v = (30.0 if u > 30 else 24.0) * math.sin(k)
            pts.append((u, v, w))
    return pts


_PALM = _palm_outline()


def _hull(points: list[tuple[float, float, float]]) -> np.ndarray:
    import cv2  # local: keeps this module importable for numbers-only tests

    arr = np.array([(p[0], p[1]) for p in points], np.float32)
    return cv2.convexHull(arr).reshape(-1, 2).astype(np.float64)


def hand_parts(place: HandPlacement, mirror: int,
               scale: float = HAND_SCALE) -> list[tuple[float, np.ndarray]]:
    """(depth, polygon) for palm, fingers and thumb, sorted back to front."""
    parts: list[tuple[float, np.ndarray]] = []
    palm = [_project(p, place, mirror, scale) for p in _PALM]
    parts.append((-0.5, _hull(palm)))
    for i in range(4):
        joints = [_project(p, place, mirror, scale)
                  for p in finger_joints(place.shape, i)]
        r = FINGER_R[i] * scale
        for k in range(3):
            a, b = joints[k], joints[k + 1]
            poly = d.capsule((a[0], a[1]), (b[0], b[1]), r * (1 - 0.04 * k),
                             r * (0.96 - 0.04 * k))
            parts.append(((a[2] + b[2]) / 2 + 0.1 * k, poly))
    tip = place.shape.thumb
    bx, by, bz = THUMB_BASE
    # the thumb's middle joint bows out from the palm so a folded thumb still reads
    mid = (bx + 0.55 * (tip[0] - bx), by + 0.55 * (tip[1] - by) + 8.0,
           bz + 0.55 * (tip[2] - bz) + 4.0)
    chain = [_project(p, place, mirror, scale) for p in (THUMB_BASE, mid, tip)]
    for k in range(2):
        a, b = chain[k], chain[k + 1]
        poly = d.capsule((a[0], a[1]), (b[0], b[1]), (12.0 - k) * scale, (11.0 - k) * scale)
        parts.append(((a[2] + b[2]) / 2 + 0.2, poly))
    parts.sort(key=lambda p: p[0])
    return parts


def hand_points(place: HandPlacement, mirror: int, scale: float = HAND_SCALE) -> np.ndarray:
    """Every outline point of the hand (for bounds checks)."""
    return np.concatenate([poly for _, poly in hand_parts(place, mirror, scale)])


def contact_offset(by: str, scale: float = HAND_SCALE) -> float:
    """How far along the hand from the wrist its contact point is (``palm``/``tips``)."""
    if by == "tips":
        return PALM_TIPS_U * scale
    if by == "palm":
        return PALM_CENTRE_U * scale
    if by == "wrist":
        return 0.0
    raise ValueError(f"unknown contact {by!r}; one of palm, tips, wrist")

