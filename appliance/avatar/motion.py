"""Pure motion curves: expression from valence/arousal, blinks, breathing, gaze easing.

Everything here is a function of plain numbers (time in seconds, a seed), so the
avatar's behaviour is testable without drawing a pixel.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass


def clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if x < lo else hi if x > hi else x


def smoothstep(x: float) -> float:
    x = clamp(x)
    return x * x * (3.0 - 2.0 * x)


@dataclass(frozen=True)
class Expression:
    """Face parameters an emotion maps to (all roughly -1..1 or 0..1)."""

    smile: float = 0.15
    """Mouth corners: -1 down (sad), +1 up (happy)."""
    brow_raise: float = 0.0
    """Both brows up (surprise, interest) or down (concentration), -1..1."""
    brow_inner: float = 0.0
    """Inner ends up (worry, sympathy) 0..1."""
    eye_open: float = 1.0
    """Upper-lid opening scale, 0.6 (tired) .. 1.2 (alert)."""
    cheek: float = 0.0
    """Cheek raise / blush for warmth 0..1."""
    brow_tilt: float = 0.0
    """One brow up, the other level, 0..1: a question back, puzzlement."""

    def lerp(self, other: Expression, k: float) -> Expression:
        j = 1.0 - k
        return Expression(
            self.smile * j + other.smile * k,
            self.brow_raise * j + other.brow_raise * k,
            self.brow_inner * j + other.brow_inner * k,
            self.eye_open * j + other.eye_open * k,
            self.cheek * j + other.cheek * k,
            self.brow_tilt * j + other.brow_tilt * k,
        )


def expression_for(valence: float, arousal: float) -> Expression:
    """Map the circumplex (valence -1..1, arousal 0..1) onto face parameters.

    A service avatar keeps a friendly baseline: negative valence reads as
    sympathy (inner brows up, a soft mouth), not as anger.
    """
    v = clamp(valence, -1.0, 1.0)
    a = clamp(arousal)
    # the negative side reads as concern: corners a little down, inner brows well up
    smile = 0.18 + 0.75 * v
    brow_raise = 0.5 * (a - 0.35) + (0.25 * v if v > 0 else 0.0)
    brow_inner = clamp(-v * 1.2)
    eye_open = 0.85 + 0.35 * a
    cheek = clamp(v * 0.9)
    return Expression(clamp(smile, -1.0, 1.0), clamp(brow_raise, -1.0, 1.0), brow_inner,
                      clamp(eye_open, 0.6, 1.2), cheek)


class BlinkSchedule:
    """Deterministic blinks with human statistics.

    Intervals are log-normal (median ~3.2 s, long right tail: people blink 12-20
    times a minute, unevenly), one blink in eight is a double blink, and each
    lasts ~150-250 ms: the lid drops fast (40 %) and rises slower.
    """

    def __init__(self, seed: int = 7, horizon_s: float = 3600.0, duration_s: float = 0.16) -> None:
        rng = random.Random(seed)
        self.duration_s = duration_s
        times: list[float] = []
        lengths: list[float] = []
        t = rng.uniform(0.8, 2.0)
        while t < horizon_s:
            length = duration_s * rng.uniform(0.85, 1.5)
            times.append(t)
            lengths.append(length)
            if rng.random() < 0.125:
                times.append(t + length + rng.uniform(0.08, 0.16))
                lengths.append(length)
            t += min(12.0, max(0.9, rng.lognormvariate(math.log(3.2), 0.55)))
        self._times = times
        self._lengths = lengths

    @property
    def times(self) -> list[float]:
        return list(self._times)

    def closure_at(self, t: float) -> float:
        """Lid closure at ``t`` (0 open .. 1 shut), periodic after the horizon."""
        if not self._times:
            return 0.0
        horizon = self._times[-1] + 3.0
        t = t % horizon if t >= horizon else t
        i = bisect.bisect_right(self._times, t) - 1
        if i < 0:
            return 0.0
        x = (t - self._times[i]) / self._lengths[i]
        if x >= 1.0:
            return 0.0
        # quick close (40%), slower open
        return x / 0.4 if x < 0.4 else 1.0 - (x - 0.4) / 0.6


class _Saccades:
    """Small, quick eye jumps around the point looked at (deterministic per seed)."""

    def __init__(self, seed: int, horizon_s: float = 600.0) -> None:
        rng = random.Random(seed * 7919 + 1)
        self.times: list[float] = []
        self.offsets: list[tuple[float, float]] = []
        t = 0.0
        while t < horizon_s:
            t += min(4.0, max(0.25, rng.lognormvariate(math.log(1.1), 0.6)))
            self.times.append(t)
            self.offsets.append((rng.gauss(0.0, 0.07), rng.gauss(0.0, 0.05)))
        self.horizon = t

    def at(self, t: float) -> tuple[float, float]:
        t = t % self.horizon
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0:
            return 0.0, 0.0
        prev = self.offsets[i - 1] if i > 0 else (0.0, 0.0)
        k = smoothstep((t - self.times[i]) / SACCADE_S)  # a saccade takes ~40 ms
        cur = self.offsets[i]
        return prev[0] + (cur[0] - prev[0]) * k, prev[1] + (cur[1] - prev[1]) * k


SACCADE_S = 0.04
_SACCADES: dict[int, _Saccades] = {}


def saccade_at(t: float, seed: int = 7) -> tuple[float, float]:
    """Gaze offset (x, y, in gaze units) of the eyes' small saccades at ``t``."""
    sac = _SACCADES.get(seed)
    if sac is None:
        sac = _SACCADES[seed] = _Saccades(seed)
    return sac.at(t)


def breathing(t: float, period_s: float = 4.2) -> float:
    """Chest rise, -1..1, one breath per ``period_s``."""
    return math.sin(2.0 * math.pi * t / period_s)


def micro_motion(t: float, seed: int = 3) -> tuple[float, float, float]:
    """Small idle head drift (x, y, roll), each -1..1, from incommensurate sines."""
    p = seed * 0.917
    x = 0.6 * math.sin(0.31 * t + p) + 0.4 * math.sin(0.77 * t + 2 * p)
    y = 0.6 * math.sin(0.23 * t + 3 * p) + 0.4 * math.sin(0.61 * t + p)
    r = 0.7 * math.sin(0.19 * t + 5 * p) + 0.3 * math.sin(0.53 * t + 4 * p)
    return x, y, r


@dataclass(frozen=True)
class Ease:
    """A value moving from ``start_value`` to ``target`` over ``[t0, t0 + duration]``."""

    start_value: float
    target: float
    t0: float
    duration: float

    def at(self, t: float) -> float:
        if self.duration <= 0 or t >= self.t0 + self.duration:
            return self.target
        if t <= self.t0:
            return self.start_value
        k = smoothstep((t - self.t0) / self.duration)
        return self.start_value + (self.target - self.start_value) * k

    def retarget(self, target: float, t: float, duration: float) -> Ease:
        """A new ease from wherever the value is at ``t``."""
        return Ease(self.at(t), target, t, duration)


MAX_BEARING_DEG = 60.0
"""Bearings beyond this are treated as this (the avatar cannot look behind)."""


def gaze_from_bearing(bearing_deg: float) -> float:
    """Horizontal gaze -1..1 (screen left..right) for a bearing in degrees."""
    return clamp(bearing_deg / MAX_BEARING_DEG, -1.0, 1.0)


def envelope(t: float, start: float, apex: float, end: float, relax_s: float) -> float:
    """Gesture weight 0..1: rises start->apex, holds, falls over the last ``relax_s``."""
    if t <= start or t >= end:
        return 0.0
    if t < apex:
        return smoothstep((t - start) / max(1e-6, apex - start))
    fall = end - relax_s
    if t > fall:
        return smoothstep((end - t) / max(1e-6, relax_s))
    return 1.0
