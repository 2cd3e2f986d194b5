"""Draw the signing arms and hands (and the face markers) for one :class:`SignPose`.

The signing frame is mirrored onto the screen for the side the dominant hand is drawn
on: ``dominant_side=-1`` (the default) is the avatar's own right hand, which a viewer
facing the avatar sees on the left, as with a right-handed signer. Arms are solved by
the avatar's two-bone IK (:func:`appliance.avatar.arms.solve_elbow`) from the wrist
the track asks for; hands are drawn by :mod:`appliance.sign.handgeom`.

:class:`SigningPainter` is the avatar's painter with the signing arms in place of its
gesture arms; :func:`face_pose` puts the track's brows, headshake and nod onto an
:class:`AvatarPose`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from appliance.avatar import draw as d
from appliance.avatar.arms import SHOULDER, solve_elbow
from appliance.avatar.layout import Layout, layout_for
from appliance.avatar.motion import clamp
from appliance.avatar.painter import AvatarPainter
from appliance.avatar.timeline import AvatarPose
from appliance.sign.handgeom import HandPlacement, hand_parts
from appliance.sign.timeline import SignPose

Layer = tuple[np.ndarray, d.Color, bool]


def _arm(place: HandPlacement, home: int, mirror: int, flip: int,
         breath: float) -> list[Layer]:
    """Upper arm, forearm, cuff and hand of one arm; ``home`` is its shoulder's screen side,
    ``flip`` maps the signing frame's x onto the screen (+1 or -1)."""
    target = (flip * place.wrist[0], place.wrist[1])
    shoulder = (home * SHOULDER[0], SHOULDER[1] - 4.0 * breath)
    elbow, wrist = solve_elbow(shoulder, target, home)
    layers: list[Layer] = [(d.capsule(shoulder, elbow, 60.0, 50.0), d.JACKET, True),
                           (d.capsule(elbow, wrist, 48.0, 38.0), d.JACKET, True)]
    n = math.hypot(wrist[0] - elbow[0], wrist[1] - elbow[1]) or 1.0
    cuff = (wrist[0] - 22.0 * (wrist[0] - elbow[0]) / n,
            wrist[1] - 22.0 * (wrist[1] - elbow[1]) / n)
    layers.append((d.capsule(cuff, wrist, 39.0, 39.0), d.SHIRT, False))
    # an unreachable target leaves the hand where the arm ends
    dx, dy = (wrist[0] - target[0]) * flip, wrist[1] - target[1]
    placed = HandPlacement((place.wrist[0] + dx, place.wrist[1] + dy), place.angle_deg,
                           place.turn_deg, place.shape)
    for _depth, poly in hand_parts(placed, mirror):
        pts = poly.copy()
        pts[:, 0] *= flip
        layers.append((pts, d.SKIN, True))
    return layers


def sign_layers(pose: SignPose, dominant_side: int = -1, breath: float = 0.0) -> list[Layer]:
    """Polygons (design units, screen frame), colour and outline flag, back to front."""
    flip = 1 if dominant_side > 0 else -1
    # the other hand first: the dominant hand acts in front of it
    return (_arm(pose.non, -dominant_side, 1, flip, breath)
            + _arm(pose.dom, dominant_side, -1, flip, breath))


def face_pose(base: AvatarPose, sign: SignPose) -> AvatarPose:
    """``base`` with the sign track's face markers (brows, headshake, nod, cheeks)."""
    e = base.expression
    expr = replace(e, brow_raise=clamp(e.brow_raise + sign.brow_raise, -1.0, 1.0),
                   brow_inner=clamp(e.brow_inner + 0.4 * max(0.0, -sign.brow_raise)),
                   cheek=clamp(e.cheek + sign.cheek))
    return replace(base, expression=expr, head_yaw=base.head_yaw + sign.head_yaw,
                   head_pitch=base.head_pitch + sign.head_pitch, gesture="",
                   gesture_weight=0.0)


class SigningPainter(AvatarPainter):
    """The avatar's painter, drawing :attr:`sign` arms (when set) instead of gestures."""

    def __init__(self, layout: Layout, dominant_side: int = -1, face: str = "drawn") -> None:
        super().__init__(layout, face)
        self.dominant_side = dominant_side
        self.sign: SignPose | None = None

    def paint_arms(self, img: np.ndarray, pose: AvatarPose) -> None:
        if self.sign is None:
            super().paint_arms(img, pose)
            return
        self.paint_layers(img, sign_layers(self.sign, self.dominant_side, pose.breath))


def render_sign(sign: SignPose, size: tuple[int, int] = (540, 960),
                dominant_side: int = -1) -> np.ndarray:
    """A whole frame of the avatar signing ``sign`` on the plain stage (sheets, tests)."""
    layout = layout_for(*size)
    img = d.vertical_gradient(size[0], size[1], d.BG_TOP, d.BG_BOTTOM)
    painter = SigningPainter(layout, dominant_side)
    painter.sign = sign
    painter.paint(img, face_pose(AvatarPose(), sign))
    return img
