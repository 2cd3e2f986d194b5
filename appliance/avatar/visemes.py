"""Mouth shapes for the 15 Oculus visemes, co-articulated over a cue timeline.

A :class:`MouthShape` is a handful of numbers the renderer turns into lips; the
timeline never sees pixels. Real lips never hold one shape per phoneme and then
jump: each sound pulls the mouth toward its shape with a *dominance* that fades
with distance in time (Cohen and Massaro's co-articulation model), so a rounded
``U`` already rounds the consonant before it and a short ``DD`` between two
vowels barely closes the jaw. The lips *anticipate* the sound by
:data:`ANTICIPATION_S` (viewers accept lips slightly ahead, never behind), and
bilabials (p, b, m) always close the lips fully: that closure is what people
check lip-sync by.

When the reply's audio is known (:class:`Envelope`), the jaw also follows its
loudness, as audio-driven rigs do: a stressed vowel opens wider than the same
vowel said softly.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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

ANTICIPATION_S = 0.03
"""The lips lead the sound by this much (and cover a frame of display latency)."""

# (dominance, fall-off seconds): lip closures and labiodentals must be reached, so they
# dominate strongly over a short span; vowels spread into their neighbours; a pause
# inside speech pulls only gently (the mouth need not shut between two words).
_DOMINANCE: dict[str, tuple[float, float]] = {
    "PP": (8.0, 0.018), "FF": (4.0, 0.02), "TH": (1.5, 0.02), "CH": (1.5, 0.03),
    "SS": (1.2, 0.025), "DD": (0.7, 0.02), "kk": (0.7, 0.02), "nn": (0.8, 0.025),
    "RR": (1.0, 0.03), "aa": (1.0, 0.04), "E": (1.0, 0.04), "I": (1.0, 0.04),
    "O": (1.2, 0.045), "U": (1.4, 0.045), "sil": (0.6, 0.03),
}
_WINDOW_S = 0.3
"""Cues further than this from ``t`` have no say."""
_LONG_PAUSE_S = 0.25
"""A silence this long closes the mouth fully (dominance grows with the pause)."""

_CLOSE_EDGE_S = 0.015
"""Lips meet (and part) over this long at each end of a bilabial."""
_MIN_CLOSED_S = 0.05
"""A bilabial shuts the lips for at least this long: more than one frame at 30 fps."""

ENERGY_FLOOR = 0.1
"""With an envelope, the quietest voiced sound still opens the jaw this much of its shape.

Low on purpose: the jaw's opening follows the loudness (a viewer reads a quiet
syllable from the lips, not the jaw), so the mouth swells and settles with the voice."""
ARTICULATED_OPEN = 0.06
"""Openness a sound keeps however softly it is said (lips apart, teeth showing)."""


def shape_for(viseme: str) -> MouthShape:
    """The mouth shape of a viseme name (unknown names rest)."""
    return SHAPES.get(viseme, REST)


class Envelope:
    """The loudness of a reply's audio, 0..1, sampled every ``hop_s`` from its start."""

    def __init__(self, values: np.ndarray | None = None, hop_s: float = 0.01) -> None:
        self.values = np.zeros(0, np.float32) if values is None else \
            np.asarray(values, np.float32)
        self.hop_s = hop_s

    @staticmethod
    def measure(pcm: np.ndarray, sample_rate: int, hop_s: float = 0.01) -> np.ndarray:
        """RMS loudness of ``pcm`` per hop (30 ms windows), scaled so a loud vowel is 1.

        An all-zero chunk (a stand-in, no TTS makes one) leaves the jaw to the visemes.
        """
        x = np.asarray(pcm, np.float32).reshape(-1)
        hop = max(1, round(sample_rate * hop_s))
        n = len(x) // hop + 1
        padded = np.zeros((n + 2) * hop, np.float32)
        padded[hop : hop + len(x)] = x
        frames = padded.reshape(n + 2, hop) ** 2
        power = (frames[:-2].mean(axis=1) + frames[1:-1].mean(axis=1) + frames[2:].mean(axis=1))
        rms = np.sqrt(power / 3.0)
        if float(rms.max(initial=0.0)) < 1.0:  # digital silence: a placeholder, not speech
            return np.ones(len(rms), np.float32)
        voiced = rms[rms > 0.1 * float(rms.max(initial=0.0))]
        ref = float(np.percentile(voiced, 90)) if len(voiced) else 1.0
        return np.clip(rms / max(ref, 1e-6), 0.0, 1.0).astype(np.float32)

    def add(self, pcm: np.ndarray, sample_rate: int, offset: float) -> None:
        """Place one chunk of the reply (starting ``offset`` s in) on the envelope."""
        vals = self.measure(pcm, sample_rate, self.hop_s)
        i0 = round(offset / self.hop_s)
        if len(self.values) < i0 + len(vals):
            grown = np.zeros(i0 + len(vals), np.float32)
            grown[: len(self.values)] = self.values
            self.values = grown
        self.values[i0 : i0 + len(vals)] = vals

    def at(self, t: float) -> float:
        """Loudness at ``t`` seconds (0 outside)."""
        x = t / self.hop_s
        i = math.floor(x)
        if i < 0 or i + 1 >= len(self.values):
            return 0.0
        f = x - i
        return float(self.values[i] * (1.0 - f) + self.values[i + 1] * f)

    def __len__(self) -> int:
        return len(self.values)


def _smooth(x: float) -> float:
    x = 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
    return x * x * (3.0 - 2.0 * x)


def _with_pauses(cues: Sequence[VisemeCue]) -> list[VisemeCue]:
    """Sorted cues with every gap (and the time around them) filled by silence."""
    ordered = sorted(cues, key=lambda c: c.start)
    out: list[VisemeCue] = []
    t = -1e9
    for c in ordered:
        if c.start > t + 1e-6:
            out.append(VisemeCue("sil", t, c.start))
        out.append(c)
        t = max(t, c.end)
    out.append(VisemeCue("sil", t, 1e9))
    return out


class MouthTrack:
    """Viseme cues (seconds, any clock) -> co-articulated mouth shape at time ``t``."""

    def __init__(self, cues: Sequence[VisemeCue], envelope: Envelope | None = None,
                 anticipation_s: float = ANTICIPATION_S) -> None:
        self._given = sorted(cues, key=lambda c: c.start)
        self._cues = _with_pauses(self._given) if self._given else []
        self._starts = [c.start for c in self._cues]
        self._ends_max = list(np.maximum.accumulate([c.end for c in self._cues])) \
            if self._cues else []
        self.envelope = envelope
        self.anticipation_s = anticipation_s

    @property
    def cues(self) -> list[VisemeCue]:
        """The cues as given (without the filled pauses)."""
        return list(self._given)

    @property
    def end(self) -> float:
        return max((c.end for c in self._given), default=0.0)

    def _near(self, u: float) -> list[VisemeCue]:
        lo = bisect.bisect_left(self._ends_max, u - _WINDOW_S)
        hi = bisect.bisect_right(self._starts, u + _WINDOW_S)
        return self._cues[lo:hi]

    def shape_at(self, t: float) -> MouthShape:
        """The mouth at ``t``: every nearby cue weighted by its dominance at ``t``."""
        if not self._cues:
            return REST
        u = t + self.anticipation_s
        acc = np.zeros(5)
        total = 0.0
        closure = 0.0
        for c in self._near(u):
            length = c.end - c.start
            alpha, fall = _DOMINANCE.get(c.viseme, (1.0, 0.03))
            if c.viseme == "sil":
                alpha *= 1.0 + 8.0 * _smooth(length / _LONG_PAUSE_S)
            core = 0.25 * min(length, 0.2)
            dist = max(0.0, c.start + core - u, u - (c.end - core))
            w = alpha * math.exp(-dist / fall)
            if w < 1e-4:
                continue
            s = SHAPES.get(c.viseme, REST)
            acc += w * np.array((s.open, s.wide, s.press, s.teeth, s.tongue))
            total += w
            if c.viseme == "PP":  # bilabials close fully, held long enough to be seen
                half = max(0.5 * length - _CLOSE_EDGE_S, _MIN_CLOSED_S / 2)
                inside = half + _CLOSE_EDGE_S - abs(u - 0.5 * (c.start + c.end))
                closure = max(closure, _smooth(inside / _CLOSE_EDGE_S))
        if total <= 0.0:
            return REST
        o, w_, p, th, tg = (acc / total).tolist()
        if self.envelope is not None and len(self.envelope):
            # loudness scales the jaw above the consonants' own small gap: an s or a t
            # said softly still parts the lips and shows the teeth
            base = min(o, ARTICULATED_OPEN)
            # the loudness of *now*: the lips' shapes anticipate the sound, the jaw's
            # swell is the sound itself (measured: a lead here lowers the match)
            loud = self.envelope.at(t)
            o = base + (o - base) * (ENERGY_FLOOR + (1.0 - ENERGY_FLOOR) * loud)
        if closure > 0.0:
            o *= 1.0 - closure
            p = max(p, closure)
        return MouthShape(o, w_, p, th, tg)

    def openness_at(self, t: float) -> float:
        """Just the jaw opening at ``t`` (0..1)."""
        return self.shape_at(t).open
