"""Features of a hand that do not depend on where it is, how big, or its in-plane turn.

The points are put in square units (x times the image aspect), a left hand is mirrored
onto a right one, the wrist moved to the origin, the hand scaled so wrist to middle
knuckle is 1 and turned so that line points up. From that upright hand: every point's
(x, y, z), the bend angle at each finger joint, the distances between fingertips and
from each tip to the wrist, and which way the palm faces. Only one block is not turn
invariant, on purpose: the hand's direction in the image (cos, sin), because ASL tells
H from U, G from Q and K from P by where the fingers point.
"""

from __future__ import annotations

import itertools

import numpy as np

from appliance.sign.input.landmarks import FINGER_CHAINS, MIDDLE, TIPS, WRIST, HandLandmarks

DIRECTION_WEIGHT = 2.0
"""How much the hand's image direction counts against the turn-invariant shape."""


def upright(hand: HandLandmarks) -> tuple[np.ndarray, float]:
    """The hand's points normalised as the module says, and its direction (radians)."""
    pts = hand.points.copy()
    pts[:, 0] *= hand.aspect
    pts[:, 2] *= hand.aspect
    if hand.handedness == "Left":
        pts[:, 0] = -pts[:, 0]
    pts -= pts[WRIST]
    axis = pts[MIDDLE[0], :2]
    length = float(np.linalg.norm(axis))
    if length < 1e-9:
        return np.zeros_like(pts), 0.0
    direction = float(np.arctan2(axis[1], axis[0]))
    # turn so the wrist -> middle knuckle line points up (image y is down: -pi/2)
    rot = -np.pi / 2 - direction
    c, s = np.cos(rot), np.sin(rot)
    xy = pts[:, :2] @ np.array([[c, s], [-s, c]])
    out = np.column_stack([xy, pts[:, 2]]) / length
    return out, direction


def _joint_angles(pts: np.ndarray) -> list[float]:
    """The bend (0 straight .. pi folded) at each of the 15 finger joints, in 3D."""
    angles = []
    for chain in FINGER_CHAINS:
        joints = [WRIST, *chain]
        for a, b, c in zip(joints, joints[1:], joints[2:], strict=False):
            v1 = pts[b] - pts[a]
            v2 = pts[c] - pts[b]
            n = np.linalg.norm(v1) * np.linalg.norm(v2)
            cos = float(np.dot(v1, v2) / n) if n > 1e-9 else 1.0
            angles.append(float(np.arccos(np.clip(cos, -1.0, 1.0))))
    return angles


def features(hand: HandLandmarks) -> np.ndarray:
    """The feature vector of one hand (see the module docstring)."""
    pts, direction = upright(hand)
    tips = [float(np.linalg.norm(pts[a] - pts[b]))
            for a, b in itertools.combinations(TIPS, 2)]
    reach = [float(np.linalg.norm(pts[t])) for t in TIPS]
    # palm facing: the sign of index-knuckle x pinky-knuckle about the wrist
    palm = float(np.cross(pts[5, :2], pts[17, :2]))
    orient = [DIRECTION_WEIGHT * np.cos(direction), DIRECTION_WEIGHT * np.sin(direction)]
    return np.concatenate([pts.ravel(), _joint_angles(pts), tips, reach, [palm], orient])
