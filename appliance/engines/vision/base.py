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


class FaceDetector(ABC):
    name: str = "vision"

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[Face]:
        """Faces in a BGR uint8 image."""
