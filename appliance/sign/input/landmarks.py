"""A hand as 21 landmarks in MediaPipe's order, and where they come from.

Points are normalised image coordinates (x right, y down, 0..1 across the frame) with
MediaPipe's relative depth ``z`` (same scale as x, smaller is nearer the camera).
A :class:`LandmarkSource` yields one :class:`LandmarkFrame` per camera frame, with no
hand when none was found; :class:`ReplaySource` plays recorded frames (tests, demos).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from appliance.errors import KioskError

N_LANDMARKS = 21
WRIST = 0
THUMB = (1, 2, 3, 4)
"""Thumb CMC, MCP, IP, tip."""
INDEX = (5, 6, 7, 8)
MIDDLE = (9, 10, 11, 12)
RING = (13, 14, 15, 16)
PINKY = (17, 18, 19, 20)
"""Each finger: MCP (knuckle), PIP, DIP, tip."""
FINGER_CHAINS = (THUMB, INDEX, MIDDLE, RING, PINKY)
TIPS = (4, 8, 12, 16, 20)


class SignInputError(KioskError):
    """Sign input cannot run (no landmark library, a bad landmark array)."""

    code = "sign-input-failed"


@dataclass(frozen=True)
class HandLandmarks:
    """One hand: ``points`` is a (21, 3) array of x, y, z in MediaPipe's order."""

    points: np.ndarray
    handedness: str = "Right"
    """``"Right"`` or ``"Left"`` as the landmarker reports it."""
    score: float = 1.0
    aspect: float = 1.0
    """The image's width / height (normalised x and y are fractions of each)."""

    def __post_init__(self) -> None:
        pts = np.asarray(self.points, dtype=np.float64)
        if pts.shape != (N_LANDMARKS, 3) or not np.isfinite(pts).all():
            raise SignInputError(f"a hand needs 21 finite (x, y, z) points, got shape "
                                 f"{pts.shape}", code="sign-bad-landmarks")
        if self.handedness not in ("Right", "Left"):
            raise SignInputError(f"handedness must be Right or Left, not "
                                 f"{self.handedness!r}", code="sign-bad-landmarks")
        if not self.aspect > 0:
            raise SignInputError(f"aspect must be positive, not {self.aspect}",
                                 code="sign-bad-landmarks")
        object.__setattr__(self, "points", pts)


@dataclass(frozen=True)
class LandmarkFrame:
    """What the landmarker saw at ``t`` (seconds): a hand, or ``None``."""

    t: float
    hand: HandLandmarks | None


class LandmarkSource(Protocol):
    """Anything that yields landmark frames: a camera with a landmarker, a replay."""

    def frames(self) -> AsyncIterator[LandmarkFrame]:
        """One frame per camera frame, in time order, until the source ends."""
        ...

    async def close(self) -> None:
        """Release the camera and the model."""
        ...


class ReplaySource:
    """Recorded (or synthesised) landmark frames played back without waiting."""

    def __init__(self, frames: Iterable[LandmarkFrame]) -> None:
        self._frames = list(frames)
        self.closed = False

    async def frames(self) -> AsyncIterator[LandmarkFrame]:
        for frame in self._frames:
            if self.closed:
                return
            yield frame

    async def close(self) -> None:
        self.closed = True
