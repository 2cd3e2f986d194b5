"""Voice activity detection: speech probability per fixed-size window."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class VadEngine(ABC):
    """Scores consecutive windows of 16 kHz float audio; keeps its own state."""

    name: str = "vad"
    window_samples: int = 512
    sample_rate: int = 16_000

    @abstractmethod
    def probability(self, window: np.ndarray) -> float:
        """Speech probability (0..1) of one window of ``window_samples`` float32 samples."""

    @abstractmethod
    def reset(self) -> None:
        """Forget the stream's state (new stream)."""
