"""Where the microphones of an array sit, and what a bearing means.

Coordinates are metres in the horizontal plane of the array: ``x`` runs along
the screen, positive to the right of a visitor facing the kiosk; ``y`` points
out of the screen toward the visitor. A *bearing* is the horizontal angle of
a source in degrees: 0 straight ahead, positive toward ``+x`` (the visitor's
right), negative toward ``-x``. Linear arrays cannot tell front from back, so
their bearings stay within -90..90 (a wall-mounted kiosk hears only its front).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPEED_OF_SOUND = 343.0
"""Metres per second in air at about 20 °C."""


@dataclass(frozen=True)
class ArrayGeometry:
    """Microphone positions (metres), one ``(x, y)`` row per channel."""

    positions: tuple[tuple[float, float], ...]

    @classmethod
    def linear(cls, count: int = 4, spacing_m: float = 0.04) -> ArrayGeometry:
        """``count`` mics in a row along ``x``, centred on the origin."""
        offsets = (np.arange(count) - (count - 1) / 2) * spacing_m
        return cls(tuple((float(x), 0.0) for x in offsets))

    @classmethod
    def circular(cls, count: int = 4, radius_m: float = 0.032) -> ArrayGeometry:
        """``count`` mics on a circle (the ReSpeaker 4-mic layout by default).

        Mic 0 sits at bearing 0 (straight ahead), the others follow clockwise
        seen from above (toward ``+x``).
        """
        angles = np.deg2rad(np.arange(count) * 360.0 / count)
        return cls(tuple((float(radius_m * np.sin(a)), float(radius_m * np.cos(a)))
                         for a in angles))

    @classmethod
    def from_layout(cls, layout: str, count: int, spacing_m: float) -> ArrayGeometry:
        """Build from settings: ``linear`` (pitch) or ``circular`` (radius)."""
        if layout == "linear":
            return cls.linear(count, spacing_m)
        if layout == "circular":
            return cls.circular(count, spacing_m)
        raise ValueError(f"unknown array layout {layout!r} (linear or circular)")

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def array(self) -> np.ndarray:
        """Positions as a ``(count, 2)`` float array."""
        return np.asarray(self.positions, dtype=np.float64).reshape(-1, 2)

    @property
    def is_linear(self) -> bool:
        """True when every mic lies on one line (front/back ambiguous)."""
        p = self.array - self.array.mean(axis=0)
        if self.count < 3:
            return True
        return bool(np.linalg.matrix_rank(p, tol=1e-6) < 2)

    @property
    def aperture_m(self) -> float:
        """Largest distance between two mics."""
        p = self.array
        return float(max(np.linalg.norm(a - b) for a in p for b in p))

    def bearing_range(self) -> tuple[float, float]:
        """Bearings this array can report (degrees)."""
        return (-90.0, 90.0) if self.is_linear else (-180.0, 180.0)

    def arrival_delays(self, bearing_deg: float) -> np.ndarray:
        """Seconds by which a far-field wave from ``bearing_deg`` reaches each mic
        after it reaches the origin (negative = earlier)."""
        theta = np.deg2rad(bearing_deg)
        direction = np.array([np.sin(theta), np.cos(theta)])
        return np.asarray(-(self.array @ direction) / SPEED_OF_SOUND)


def wrap_bearing(deg: float) -> float:
    """Map any angle to -180..180 degrees."""
    return float((deg + 180.0) % 360.0 - 180.0)


def bearing_error(a: float, b: float) -> float:
    """Smallest absolute difference of two bearings (degrees)."""
    return abs(wrap_bearing(a - b))
