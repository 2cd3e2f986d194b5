"""Vision: faces in a camera frame; counts and bearings only leave this engine."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass
class Face:
    x: int
    y: int
    w: int
    h: int
    score: float = 1.0
    frontal: bool = True
    """Seen from the front (looking at the screen) rather than in profile."""

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


class FaceDetector(ABC):
    name: str = "vision"

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in a BGR uint8 image."""
