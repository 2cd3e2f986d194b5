"""Mouth shapes for the 15 Oculus visemes, and their interpolation over a cue timeline.

A :class:`MouthShape` is a handful of numbers the renderer turns into lips; the
timeline never sees pixels. Between cues the mouth moves from one shape to the
next over a short transition centred on the cue boundary, so the target shape is
reached at the moment its sound starts (never a frame late) and the lips never
jump.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.frames import VisemeCue

VISEMES: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U",
)
"""The Oculus/Meta viseme set, in its canonical order."""

OPEN_VISEMES = frozenset({"aa", "E", "O"})
"""Visemes with a clearly open jaw (tests and the sync bench key on these)."""

CLOSED_VISEMES = frozenset({"sil", "PP"})
"""Visemes with the lips together."""


@dataclass(frozen=True)
class MouthShape:
    """Lip geometry, every field 0..1 except ``wide`` (-1 rounded .. 1 spread)."""

    open: float = 0.0
    """Jaw opening (0 closed lips, 1 wide open ``aa``)."""
    wide: float = 0.0
    """Corner spread: -1 pursed (``U``), +1 spread (``I``)."""
    press: float = 0.0
    """Lips pressed together (bilabials ``PP``)."""
    teeth: float = 0.0
    """How much of the upper teeth shows."""
    tongue: float = 0.0
    """How much tongue shows (``TH``, ``DD``, ``nn``)."""

    def lerp(self, other: MouthShape, k: float) -> MouthShape:
        """The shape ``k`` of the way from ``self`` to ``other``."""
        j = 1.0 - k
        return MouthShape(
            self.open * j + other.open * k,
            self.wide * j + other.wide * k,
            self.press * j + other.press * k,
            self.teeth * j + other.teeth * k,
            self.tongue * j + other.tongue * k,
        )


REST = MouthShape()

SHAPES: dict[str, MouthShape] = {
    "sil": REST,
    "PP": MouthShape(open=0.0, wide=-0.1, press=1.0),
    "FF": MouthShape(open=0.12, wide=0.1, teeth=1.0),
    "TH": MouthShape(open=0.22, wide=0.1, teeth=0.6, tongue=1.0),
    "DD": MouthShape(open=0.3, wide=0.2, teeth=0.6, tongue=0.3),
    "kk": MouthShape(open=0.38, wide=0.1, teeth=0.4),
    "CH": MouthShape(open=0.25, wide=-0.35, teeth=0.8),
    "SS": MouthShape(open=0.12, wide=0.5, teeth=1.0),
    "nn": MouthShape(open=0.2, wide=0.15, teeth=0.5, tongue=0.4),
    "RR": MouthShape(open=0.25, wide=-0.4, teeth=0.3),
    "aa": MouthShape(open=1.0, wide=0.2, teeth=0.5),
    "E": MouthShape(open=0.6, wide=0.5, teeth=0.6),
    "I": MouthShape(open=0.35, wide=0.75, teeth=0.7),
    "O": MouthShape(open=0.75, wide=-0.55),
    "U": MouthShape(open=0.35, wide=-0.85),
}

TRANSITION_S = 0.06
"""Time the lips take between two shapes, centred on the cue boundary."""


def shape_for(viseme: str) -> MouthShape:
    """The mouth shape of a viseme name (unknown names rest)."""
    return SHAPES.get(viseme, REST)


def _smooth(x: float) -> float:
    x = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
    return x * x * (3.0 - 2.0 * x)


class MouthTrack:
    """Viseme cues (seconds, any clock) -> mouth shape at time ``t``.

    Cues are sorted by start; gaps between cues and the time outside them rest.
    """

    def __init__(self, cues: Sequence[VisemeCue], transition_s: float = TRANSITION_S) -> None:
        ordered = sorted(cues, key=lambda c: c.start)
        self._cues = ordered
        self._starts = [c.start for c in ordered]
        self.transition_s = transition_s

    @property
    def cues(self) -> list[VisemeCue]:
        return list(self._cues)

    @property
    def end(self) -> float:
        return max((c.end for c in self._cues), default=0.0)

    def _target(self, i: int, t: float) -> tuple[MouthShape, float]:
        """Shape held by cue ``i`` at ``t`` (rest outside it) and when that began."""
        if i < 0:
            return REST, float("-inf")
        cue = self._cues[i]
        if t < cue.end:
            return shape_for(cue.viseme), cue.start
        return REST, cue.end

    def shape_at(self, t: float) -> MouthShape:
        """The mouth at ``t``: each boundary blends over ``transition_s`` centred on it."""
        half = self.transition_s / 2.0
        # the shape we are heading to is the one in force at t + half
        i = bisect.bisect_right(self._starts, t + half) - 1
        target, since = self._target(i, t + half)
        if since == float("-inf"):
            return REST
        # the shape before the boundary at `since`
        prev_t = since - 1e-6
        j = bisect.bisect_right(self._starts, prev_t) - 1
        before, _ = self._target(j, prev_t)
        k = _smooth((t - (since - half)) / self.transition_s) if self.transition_s > 0 else 1.0
        return before.lerp(target, k)

    def openness_at(self, t: float) -> float:
        """Just the jaw opening at ``t`` (0..1)."""
        return self.shape_at(t).open
