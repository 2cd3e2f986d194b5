"""A gloss laid out in time: a signing track a renderer samples at any ``t``.

:func:`build_track` places every keyframe of every :class:`GlossItem` on one clock:
the hands rise from rest, hold each keyframe for its ``dur`` (making its movement:
a shake, a circle, the path of J or Z), move to the next keyframe (eased), and go
back to rest at the end. :meth:`SignTrack.sample` is a pure function of ``t``: both
hands (wrist, direction, palm turn, blended handshape) and the face markers (brows,
headshake, nod) in the signing frame (+x is the dominant hand's side; the renderer
mirrors it). :meth:`SignTrack.span_at` says which characters of the reply are being
signed at ``t``, so subtitles highlight in step.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.sign import handshape
from appliance.sign.gloss import GlossItem
from appliance.sign.handgeom import HandPlacement
from appliance.sign.lexicon import HandKey, Keyframe

LEAD_S = 0.35
"""From rest to the first sign."""
BETWEEN_S = 0.2
"""The move from one sign to the next."""
TAIL_S = 0.45
"""From the last sign back to rest."""
FACE_RAMP_S = 0.15

REST_DOM = HandKey((60.0, 645.0), 150.0, 180.0, "relaxed")
"""The dominant hand at rest while signing (signing frame): a little higher than the
avatar's own rest pose, so a resting hand stays above the subtitle band."""
REST_NON = HandKey((-70.0, 640.0), 30.0, 180.0, "relaxed")
_REST = Keyframe(REST_DOM, REST_NON, 0.0)


@dataclass(frozen=True)
class TrackItem:
    """A gloss item placed on the track."""

    gloss: str
    kind: str
    span: tuple[int, int]
    start: float
    end: float
    face: str = ""


@dataclass(frozen=True)
class SignPose:
    """Everything the signing renderer needs at one instant (signing frame)."""

    dom: HandPlacement
    non: HandPlacement
    brow_raise: float = 0.0
    """-1 brows down (wh-question) .. 1 brows up (yes/no question)."""
    head_yaw: float = 0.0
    """Headshake, about -0.35 .. 0.35 (the avatar's head_yaw scale)."""
    head_pitch: float = 0.0
    """Nod, 0 .. ~0.45."""
    cheek: float = 0.0
    item: int = -1
    """Index of the track item being signed, -1 at rest."""


@dataclass(frozen=True)
class _Hold:
    start: float
    end: float
    key: Keyframe
    item: int


def _placement(k: HandKey) -> HandPlacement:
    return HandPlacement(k.wrist, k.angle_deg, k.turn_deg, handshape.get(k.shape))


def ease(k: float) -> float:
    """Smoothstep of ``k`` clamped to 0..1."""
    k = min(1.0, max(0.0, k))
    return k * k * (3.0 - 2.0 * k)


def lerp_hand(a: HandPlacement, b: HandPlacement, k: float) -> HandPlacement:
    """``a`` moved ``k`` (0..1) of the way to ``b``: wrist, direction (the short way
    round), palm turn and handshape."""
    da = (b.angle_deg - a.angle_deg + 180.0) % 360.0 - 180.0
    return HandPlacement((a.wrist[0] + (b.wrist[0] - a.wrist[0]) * k,
                          a.wrist[1] + (b.wrist[1] - a.wrist[1]) * k),
                         a.angle_deg + da * k, a.turn_deg + (b.turn_deg - a.turn_deg) * k,
                         a.shape.lerp(b.shape, k))


_Z_PATH = ((0.0, 0.0), (55.0, 0.0), (0.0, 55.0), (55.0, 55.0))


def _move(p: HandPlacement, move: str, tau: float, dur: float, xsign: float) -> HandPlacement:
    """``p`` while making ``move``, ``tau`` s into a hold of ``dur`` s."""
    if not move or dur <= 0:
        return p
    k = min(1.0, max(0.0, tau / dur))
    env = min(1.0, tau / 0.08, max(0.0, dur - tau) / 0.08)  # oscillations start and end at 0
    x, y = p.wrist
    ang, turn, shape = p.angle_deg, p.turn_deg, p.shape
    if move == "shake":
        s = math.sin(2 * math.pi * 4.0 * tau) * env
        x, ang = x + 14.0 * s * xsign, ang + 8.0 * s
    elif move == "twist":
        turn += 35.0 * math.sin(2 * math.pi * 3.0 * tau) * env
    elif move == "tap":
        y += 14.0 * abs(math.sin(math.pi * 5.0 * tau)) * env
    elif move == "bounce":
        y -= 16.0 * abs(math.sin(math.pi * 4.0 * tau)) * env
    elif move == "nod":
        s = math.sin(2 * math.pi * 2.5 * tau) * env
        y, ang = y + 12.0 * s, ang + 14.0 * s
    elif move == "circle":
        th = 2 * math.pi * 2.0 * k
        x, y = x + 22.0 * (math.cos(th) - 1.0) * xsign, y + 22.0 * math.sin(th)
    elif move == "wiggle":
        shape = shape.wiggled(2 * math.pi * 5.0 * tau, 0.35 * env)
    elif move == "flick":
        ang += 25.0 * math.sin(math.pi * k) * xsign
    elif move == "j":
        x, y, turn = x - 30.0 * k * k * xsign, y + 45.0 * k, turn + 90.0 * k
    elif move == "z":
        seg = min(2, int(k * 3))
        f = k * 3 - seg
        (ax, ay), (bx, by) = _Z_PATH[seg], _Z_PATH[seg + 1]
        x, y = x - (ax + (bx - ax) * f) * xsign, y + ay + (by - ay) * f
    return HandPlacement((x, y), ang, turn, shape)


class SignTrack:
    """Timed keyframes of one signed reply; sample it at any ``t`` (seconds from its start)."""

    def __init__(self, holds: Sequence[_Hold], items: Sequence[TrackItem],
                 duration: float) -> None:
        last = holds[-1].end if holds else 0.0
        self._holds = [_Hold(-1e9, 0.0, _REST, -1), *holds,
                       _Hold(last + TAIL_S if holds else 0.0, 1e9, _REST, -1)]
        self._starts = [h.start for h in self._holds]
        self.items = list(items)
        self.duration = duration
        self._item_starts = [it.start for it in self.items]
        self._faces = self._face_spans()

    def _face_spans(self) -> list[tuple[str, float, float]]:
        spans = [(it.face, it.start, it.end) for it in self.items if it.face]
        spans += [(h.key.face, h.start - 0.1, h.end + 0.05) for h in self._holds if h.key.face]
        spans.sort(key=lambda s: (s[0], s[1]))
        merged: list[tuple[str, float, float]] = []
        for face, s, e in spans:
            if merged and merged[-1][0] == face and s <= merged[-1][2] + 0.3:
                merged[-1] = (face, merged[-1][1], max(merged[-1][2], e))
            else:
                merged.append((face, s, e))
        return merged

    def _held(self, h: _Hold, t: float) -> tuple[HandPlacement, HandPlacement]:
        key = h.key
        dom = _move(_placement(key.dom), key.move, t - h.start, h.end - h.start, 1.0)
        non = _placement(key.non or REST_NON)
        if key.non is not None:  # two-handed movement: the other hand mirrors it
            non = _move(non, key.move, t - h.start, h.end - h.start, -1.0)
        return dom, non

    def sample(self, t: float) -> SignPose:
        """Both hands and the face at ``t``."""
        i = max(0, bisect.bisect_right(self._starts, t) - 1)
        h = self._holds[i]
        if t <= h.end or i + 1 >= len(self._holds):
            dom, non = self._held(h, min(t, h.end))
        else:
            nxt = self._holds[i + 1]
            k = ease((t - h.end) / max(1e-6, nxt.start - h.end))
            d0, n0 = self._held(h, h.end)
            d1, n1 = self._held(nxt, nxt.start)
            dom, non = lerp_hand(d0, d1, k), lerp_hand(n0, n1, k)
        brow = yaw = pitch = cheek = 0.0
        for face, s, e in self._faces:
            w = ease((t - s + FACE_RAMP_S) / FACE_RAMP_S) * ease((e + FACE_RAMP_S - t)
                                                                   / FACE_RAMP_S)
            if w <= 0:
                continue
            if face == "brows_up":
                brow += w
            elif face == "brows_down":
                brow -= 0.8 * w
            elif face == "headshake":
                yaw += 0.35 * math.sin(2 * math.pi * 2.2 * t) * w
            elif face == "nod":
                pitch += 0.45 * max(0.0, math.sin(2 * math.pi * 1.8 * t)) * w
            elif face == "puff":
                cheek += w
        return SignPose(dom, non, max(-1.0, min(1.0, brow)), yaw, pitch, min(1.0, cheek),
                        self.item_at(t))

    def holds(self, item: int) -> list[tuple[float, float]]:
        """(start, end) of each keyframe hold of track item ``item``."""
        return [(h.start, h.end) for h in self._holds if h.item == item]

    def item_at(self, t: float) -> int:
        """Index of the item being signed at ``t`` (-1 before, between nothing, after)."""
        i = bisect.bisect_right(self._item_starts, t) - 1
        if i >= 0 and t < self.items[i].end:
            return i
        return -1

    def span_at(self, t: float) -> tuple[int, int] | None:
        """Characters of the reply being signed at ``t`` (None at rest)."""
        i = self.item_at(t)
        return self.items[i].span if i >= 0 else None


def build_track(items: Sequence[GlossItem]) -> SignTrack:
    """Lay a gloss out in time."""
    holds: list[_Hold] = []
    placed: list[TrackItem] = []
    t = LEAD_S
    for item in items:
        if not item.keys:
            continue
        idx = len(placed)
        start = t - (LEAD_S if not placed else BETWEEN_S) / 2
        for k, key in enumerate(item.keys):
            holds.append(_Hold(t, t + key.dur, key, idx))
            t += key.dur + (item.inner_s if k < len(item.keys) - 1 else 0.0)
        if item.pause_after:
            last = holds[-1]
            holds[-1] = _Hold(last.start, last.end + item.pause_after, last.key, last.item)
            t += item.pause_after
        placed.append(TrackItem(item.gloss, item.kind, item.span, start, t + BETWEEN_S / 2,
                                item.face))
        t += BETWEEN_S
    end = (t - BETWEEN_S + TAIL_S) if placed else 0.0
    return SignTrack(holds, placed, end)
