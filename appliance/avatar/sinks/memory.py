"""Headless sink: frames kept in memory (tests, previews)."""

from __future__ import annotations

import numpy as np

from appliance.avatar.sinks.base import FrameSink


class MemorySink(FrameSink):
    """Keeps copies of the last ``max_frames`` frames (all when None) with their times."""

    name = "memory"

    def __init__(self, max_frames: int | None = None) -> None:
        self.max_frames = max_frames
        self.frames: list[np.ndarray] = []
        self.times: list[float] = []
        self.count = 0

    def write(self, frame: np.ndarray, t: float) -> None:
        self.frames.append(frame.copy())
        self.times.append(t)
        self.count += 1
        if self.max_frames is not None and len(self.frames) > self.max_frames:
            del self.frames[0]
            del self.times[0]
