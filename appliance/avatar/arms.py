"""Both arms and hands, at rest and in every gesture, in body design units.

Head centre is (0, 0), y grows down, the head is ~380 units wide. Each arm is a
two-bone chain (shoulder -> elbow -> wrist) solved by inverse kinematics from
where the wrist should be; a gesture gives, per arm, the wrist's target, the
hand's direction and its shape, and the pose's ``gesture_weight`` blends from the
rest pose (hands loosely together in front) to it. Hands always have fingers:
an open palm, a pointing index, a relaxed hand, a flat hand on the chest, a
beckoning hand whose fingers curl.

Targets keep every fingertip inside ``|x| <= FRAME_HALF_X`` so a pointing hand
never leaves a portrait screen, and the scene draws the arms *behind* an answer
card, so a gesture never covers the map it refers to.

``point_media`` points at the answer card wherever the layout puts it
(:func:`toward_panel`): on a portrait screen the card spans the width below the face,
so the hand is raised beside the face and the index points down at it; on a landscape
screen the hand reaches out toward the card beside the avatar. Either way every
fingertip stays outside the card (and inside the frame), so the hand is seen and the
card is never covered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from appliance.avatar import draw as d
from appliance.avatar.body import BREATH_PX, SHOULDER_LINE
from appliance.avatar.layout import Layout, layout_for
from appliance.avatar.timeline import AvatarPose

UPPER_ARM = 300.0
FOREARM = 265.0
SHOULDER = (282.0, 380.0)
"""Right shoulder joint (the left mirrors it)."""
FRAME_HALF_X = 440.0
"""Fingertips stay within this of the centre line (a 1080-wide portrait shows ~470)."""


@dataclass(frozen=True)
class HandPose:
    """Where one wrist goes and what its hand does."""

    wrist: tuple[float, float]
    angle_deg: float
    """Direction the fingers point (0 = screen right, -90 = up, 90 = down)."""
    shape: str = "relaxed"
    """``relaxed``, ``open``, ``point``, ``flat`` or ``beckon``."""


HAND_SCALE = 1.25
"""Hands this much bigger than first drawn: a hand is about as long as the face is
high, and small hands read as a cartoon's."""
REST_R = HandPose((55.0, 770.0), 160.0, "relaxed")
REST_L = HandPose((-45.0, 785.0), 20.0, "relaxed")


@dataclass(frozen=True)
class Gesture:
    """Per-arm targets at the stroke (None: that arm stays at rest)."""

    right: HandPose | None = None
    left: HandPose | None = None
    motion: str = ""
    """``wave``, ``beckon``, ``beat``, ``push`` or empty: movement held at the stroke."""


GESTURES: dict[str, Gesture] = {
    # from Text2Action (the reply's content)
    "point_left": Gesture(left=HandPose((-255.0, 320.0), 182.0, "point")),
    "point_right": Gesture(right=HandPose((255.0, 320.0), -2.0, "point")),
    "point_ahead": Gesture(right=HandPose((190.0, 380.0), -100.0, "open"), motion="push"),
    "open_hand": Gesture(right=HandPose((275.0, 140.0), -80.0, "open"), motion="wave"),
    # from the behaviour tree
    "wave": Gesture(right=HandPose((280.0, 60.0), -85.0, "open"), motion="wave"),
    "beckon": Gesture(right=HandPose((270.0, 420.0), -25.0, "open"), motion="beckon"),
    "beckon_staff": Gesture(right=HandPose((285.0, 50.0), -95.0, "beckon"), motion="beckon"),
    "point_help": Gesture(right=HandPose((300.0, 400.0), 35.0, "point")),
    "point_screen": Gesture(right=HandPose((255.0, 330.0), 112.0, "point")),
    "hand_on_chest": Gesture(right=HandPose((150.0, 500.0), 195.0, "flat")),
    "open_arms": Gesture(right=HandPose((330.0, 430.0), -30.0, "open"),
                         left=HandPose((-330.0, 430.0), 210.0, "open")),
    "talk": Gesture(right=HandPose((210.0, 560.0), -50.0, "open"), motion="beat"),
    "think": Gesture(right=HandPose((95.0, 330.0), -105.0, "relaxed")),
}
"""Every gesture the behaviour tree or Text2Action can decide that moves an arm
(``point_media`` is added below: it depends on the layout, see :func:`toward_panel`)."""

REST_GESTURES = frozenset({"idle", "wait", ""})
"""Decisions that mean: arms at rest."""


def _lerp_hand(a: HandPose, b: HandPose, k: float) -> HandPose:
    da = (b.angle_deg - a.angle_deg + 180.0) % 360.0 - 180.0
    return HandPose((a.wrist[0] + (b.wrist[0] - a.wrist[0]) * k,
                     a.wrist[1] + (b.wrist[1] - a.wrist[1]) * k),
                    a.angle_deg + da * k, b.shape if k > 0.35 else a.shape)


def solve_elbow(shoulder: tuple[float, float], wrist: tuple[float, float],
                outward: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two-bone IK: (elbow, reachable wrist); the elbow bends down and ``outward``."""
    sx, sy = shoulder
    dx, dy = wrist[0] - sx, wrist[1] - sy
    dist = math.hypot(dx, dy)
    lo, hi = abs(UPPER_ARM - FOREARM) + 1.0, UPPER_ARM + FOREARM - 1.0
    reach = min(max(dist, lo), hi)
    base = math.atan2(dy, dx)
    wx, wy = sx + reach * math.cos(base), sy + reach * math.sin(base)
    cos_a = (UPPER_ARM**2 + reach**2 - FOREARM**2) / (2 * UPPER_ARM * reach)
    a = math.acos(min(1.0, max(-1.0, cos_a)))
    options = [(sx + UPPER_ARM * math.cos(base + s * a), sy + UPPER_ARM * math.sin(base + s * a))
               for s in (-1, 1)]
    # prefer the elbow further down and out: arms hang, they do not fold over the chest
    elbow = max(options, key=lambda e: e[1] + 0.25 * outward * e[0])
    return elbow, (wx, wy)


def _finger(base: tuple[float, float], angle_deg: float, length: float, r: float) -> np.ndarray:
    a = math.radians(angle_deg)
    tip = (base[0] + length * math.cos(a), base[1] + length * math.sin(a))
    return d.capsule(base, tip, r, r * 0.8)


def hand_polygons(hand: HandPose, side: int, curl: float = 0.0) -> list[np.ndarray]:
    """Palm, fingers and thumb of one hand (design units), back to front.

    ``side`` is 1 for the screen-right hand, -1 for the left (the thumb side flips);
    ``curl`` (0..1) bends the fingers of a beckoning hand.
    """
    wx, wy = hand.wrist
    ang = hand.angle_deg
    a = math.radians(ang)
    fx, fy = math.cos(a), math.sin(a)  # along the fingers
    lx, ly = -fy, fx  # across the palm

    k = HAND_SCALE

    def at(u: float, v: float) -> tuple[float, float]:
        u, v = u * k, v * k
        return (wx + u * fx + v * lx * side, wy + u * fy + v * ly * side)

    palm_c = at(34.0, 0.0)
    out = [d.ellipse(palm_c[0], palm_c[1], 40.0 * k, 33.0 * k, ang)]
    shape = hand.shape
    if shape == "point":
        out.append(_finger(at(58.0, -16.0), ang, 78.0 * k, 11.0 * k))
        for i, v in enumerate((-2.0, 12.0, 24.0)):  # curled fingers: knuckles
            out.append(d.ellipse(*at(66.0 - 3 * i, v), 13.0 * k, 10.0 * k, ang))
        out.append(_finger(at(26.0, -26.0), ang - side * 40.0, 34.0 * k, 11.0 * k))
        return out
    spread = {"open": (-16.0, -5.0, 5.0, 15.0), "relaxed": (-5.0, -2.0, 2.0, 5.0),
              "flat": (-3.0, -1.0, 1.0, 3.0), "beckon": (-6.0, -2.0, 2.0, 6.0)}[shape]
    lengths = (50.0, 58.0, 55.0, 44.0)
    for v, s_deg, ln, i in zip((-22.0, -7.0, 8.0, 22.0), spread, lengths, range(4),
                               strict=True):
        bend = 0.0
        if shape == "relaxed":
            ln *= 0.9
            bend = 12.0 * side
        elif shape == "beckon":
            ln *= 1.0 - 0.55 * curl * (1.0 if i < 3 else 0.6)
            bend = -70.0 * curl * side
        out.append(_finger(at(60.0, v), ang + side * s_deg + bend, ln * k, (9.5 - 0.6 * i) * k))
    thumb = {"open": 58.0, "relaxed": 28.0, "flat": 18.0, "beckon": 35.0}[shape]
    out.append(_finger(at(22.0, -28.0), ang - side * thumb, 40.0 * k, 11.0 * k))
    return out


def fingertips(hand: HandPose, side: int) -> np.ndarray:
    """Every point of the hand (for bounds checks)."""
    return np.concatenate(hand_polygons(hand, side))


def arm_layers(pose: AvatarPose, gestures: Mapping[str, Gesture] | None = None,
               half_x: float = FRAME_HALF_X) -> list[tuple[np.ndarray, d.Color, bool]]:
    """Polygons (design units), colour and whether to outline, back to front, for both arms.

    ``gestures`` (default :data:`GESTURES`) is where each gesture puts the hands: a
    painter passes its layout's own (:func:`gestures_for`); ``half_x`` is how far from
    the centre line a fingertip may go on that screen (:func:`frame_half_x`)."""
    g = (GESTURES if gestures is None else gestures).get(pose.gesture)
    w = pose.gesture_weight if g is not None else 0.0
    t = max(0.0, pose.gesture_time)
    layers: list[tuple[np.ndarray, d.Color, bool]] = []
    for side in (-1, 1):
        rest = REST_R if side > 0 else REST_L
        target = (g.right if side > 0 else g.left) if g is not None else None
        hand = rest if target is None else _lerp_hand(rest, target, w)
        curl = 0.0
        if target is not None and g is not None and w > 0:
            hand, curl = _motion(hand, g.motion, t, w, side)
        hand = _inside(hand, side, half_x)
        shoulder = (side * SHOULDER[0], SHOULDER[1] - 4.0 * pose.breath)
        elbow, wrist = solve_elbow(shoulder, hand.wrist, side)
        if wrist != hand.wrist:
            hand = HandPose(wrist, hand.angle_deg, hand.shape)
        sleeve = _under_shoulder(d.capsule(shoulder, elbow, 60.0, 50.0), shoulder, elbow,
                                 side, pose.breath)
        layers.append((sleeve, d.JACKET, True))
        layers.append((d.capsule(elbow, wrist, 48.0, 38.0), d.JACKET, True))
        a = math.radians(hand.angle_deg)
        ex, ey = elbow
        ux, uy = (wrist[0] - ex), (wrist[1] - ey)
        n = math.hypot(ux, uy) or 1.0
        cuff_a = (wrist[0] - 22.0 * ux / n, wrist[1] - 22.0 * uy / n)
        layers.append((d.capsule(cuff_a, wrist, 39.0, 39.0), d.SHIRT, False))
        wrist_joint = (wrist[0] + 8.0 * math.cos(a), wrist[1] + 8.0 * math.sin(a))
        layers.append((d.capsule(wrist, wrist_joint, 24.0, 26.0), d.SKIN, False))
        layers.extend((p, d.SKIN, True) for p in hand_polygons(hand, side, curl))
    return layers


_SHOULDER_REACH = 1.6
"""Sleeve points within this many radii of the joint tuck under the shoulder line."""


def _under_shoulder(sleeve: np.ndarray, joint: tuple[float, float],
                    elbow: tuple[float, float], side: int, breath: float) -> np.ndarray:
    """The upper sleeve of an arm that hangs, its top tucked under the jacket's shoulder
    line: the shoulder flows into the sleeve's outer edge instead of a pillar's round cap
    standing beside it. A raised arm (level or up) keeps its round end, hidden in the
    shoulder; only points near the joint move, so the sleeve keeps its length."""
    down = (elbow[1] - joint[1]) / max(1e-6, math.hypot(elbow[0] - joint[0], elbow[1] - joint[1]))
    hang = min(1.0, max(0.0, (down - 0.3) / 0.5))
    if hang <= 0.0:
        return sleeve
    hang = hang * hang * (3.0 - 2.0 * hang)
    out = sleeve.copy()
    x = out[:, 0] * side  # as the right arm
    line_x, line_y = SHOULDER_LINE[:, 0], SHOULDER_LINE[:, 1] - BREATH_PX * breath
    # beyond the line's end the jacket's side falls steeply (the line's own slope)
    floor = np.where(x <= line_x[-1], np.interp(x, line_x, line_y),
                     line_y[-1] + 3.0 * (x - line_x[-1]))
    near = np.hypot(out[:, 0] - joint[0], out[:, 1] - joint[1]) < _SHOULDER_REACH * 60.0
    lift = np.where(near, np.maximum(out[:, 1], floor) - out[:, 1], 0.0)
    out[:, 1] += hang * lift
    return out


def _motion(hand: HandPose, motion: str, t: float, w: float,
            side: int) -> tuple[HandPose, float]:
    """The held movement of a gesture at ``t`` s after its stroke."""
    x, y = hand.wrist
    if motion == "wave":
        swing = 16.0 * math.sin(2 * math.pi * 2.0 * t) * w
        return HandPose((x + 10.0 * math.sin(2 * math.pi * 2.0 * t) * w, y),
                        hand.angle_deg + swing, hand.shape), 0.0
    if motion == "beckon":
        curl = 0.5 + 0.5 * math.sin(2 * math.pi * 1.4 * t - math.pi / 2)
        return HandPose((x - side * 14.0 * curl * w, y), hand.angle_deg, hand.shape), curl * w
    if motion == "beat":
        beat = abs(math.sin(math.pi * 1.6 * t)) * w
        return HandPose((x, y - 30.0 * beat), hand.angle_deg - side * 10.0 * beat,
                        hand.shape), 0.0
    if motion == "push":
        push = math.sin(math.pi * min(1.0, t / 0.5)) * w
        return HandPose((x, y - 18.0 * push), hand.angle_deg, hand.shape), 0.0
    return hand, 0.0


def _inside(hand: HandPose, side: int, half_x: float = FRAME_HALF_X) -> HandPose:
    """Slide the wrist inward until every finger is inside the frame's safe width."""
    pts = fingertips(hand, side)
    over = float(np.abs(pts[:, 0]).max()) - half_x
    if over <= 0:
        return hand
    sign = 1.0 if float(pts[np.abs(pts[:, 0]).argmax(), 0]) > 0 else -1.0
    return HandPose((hand.wrist[0] - sign * over, hand.wrist[1]), hand.angle_deg, hand.shape)


# --- toward the answer card ---------------------------------------------------------

PANEL_MARGIN = 28.0
"""Design units every fingertip keeps from the answer card's edge (the hand stays in sight,
the card is never covered, a stroke's small overshoot included)."""
EDGE_MARGIN = 30.0
"""Design units every fingertip keeps from the screen's left and right edges."""
REACH = UPPER_ARM + FOREARM - 40.0
"""How far from the shoulder the wrist of a reaching gesture goes (a little short of a
locked elbow)."""


def frame_half_x(layout: Layout) -> float:
    """How far from the avatar's centre line (design units) a fingertip may go on this
    screen: the nearer screen edge less a margin (440 on a 9:16 portrait screen)."""
    hx = layout.head[0]
    return min(hx, layout.width - hx) / layout.scale - EDGE_MARGIN


def panel_rect(layout: Layout) -> tuple[float, float, float, float]:
    """The answer card's box (left, top, right, bottom) in design units (head centre 0, 0)."""
    hx, hy = layout.head
    s = layout.scale
    x, y, w, h = layout.media
    return (x - hx) / s, (y - hy) / s, (x + w - hx) / s, (y + h - hy) / s


def _extent(hand: HandPose, side: int, axis: int, sign: float) -> float:
    """How far the hand reaches along ``axis`` (0 x, 1 y) in direction ``sign``."""
    return float((sign * fingertips(hand, side)[:, axis]).max())


def toward_panel(layout: Layout) -> Gesture:
    """``point_media`` for this layout: a pointing hand toward the answer card.

    The card below the face (portrait: it spans the avatar): the right hand is raised
    beside the face, the index pointing down at the card, every fingertip above its top
    edge. The card beside the avatar (landscape): the hand on the card's side reaches out
    at the height of the card's middle (within what an arm reaches comfortably) and
    points at it, every fingertip short of its near edge. Fingertips stay inside the
    frame too (:func:`frame_half_x`).
    """
    left, top, right, bottom = panel_rect(layout)
    half_x = frame_half_x(layout)
    if left < 0.0 < right:  # below the face
        angle = 98.0
        hand = HandPose((300.0, 120.0), angle, "point")
        limit = top - PANEL_MARGIN
        hand = HandPose((hand.wrist[0], hand.wrist[1] - max(0.0, _extent(hand, 1, 1, 1.0)
                                                            - limit)), angle, "point")
        over = _extent(hand, 1, 0, 1.0) - half_x
        if over > 0:
            hand = HandPose((hand.wrist[0] - over, hand.wrist[1]), angle, "point")
        return Gesture(right=hand)
    side = 1 if left >= 0.0 else -1
    near = left if side > 0 else -right  # the card's near edge, as a distance
    shoulder = (side * SHOULDER[0], SHOULDER[1])
    y = min(max((top + bottom) / 2.0, 120.0), 420.0)  # the card's middle, within reach
    dy = y - shoulder[1]
    wx = shoulder[0] + side * math.sqrt(max(0.0, REACH**2 - dy**2))
    tilt = math.degrees(math.atan2((top + bottom) / 2.0 - y, 300.0))  # toward its middle
    angle = (0.0 if side > 0 else 180.0) + side * max(-25.0, min(25.0, tilt))
    hand = HandPose((wx, y), angle, "point")
    over = max(_extent(hand, side, 0, side) - (near - PANEL_MARGIN),
               _extent(hand, side, 0, side) - half_x)
    if over > 0:
        hand = HandPose((wx - side * over, y), angle, "point")
    return Gesture(right=hand) if side > 0 else Gesture(left=hand)


def gestures_for(layout: Layout) -> dict[str, Gesture]:
    """Every gesture's targets on this screen (:data:`GESTURES` and ``point_media``)."""
    return {**GESTURES, "point_media": toward_panel(layout)}


# the kiosk's portrait screen; a painter uses :func:`gestures_for` its own layout
GESTURES["point_media"] = toward_panel(layout_for(1080, 1920))
