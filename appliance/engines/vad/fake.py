"""A scripted VAD for tests: voiced wherever the audio is louder than a threshold."""

from __future__ import annotations

import numpy as np

from appliance.engines.vad.base import VadEngine


class FakeVad(VadEngine):
    name = "fake-vad"
    window_samples = 320

    def __init__(self, threshold: float = 0.01) -> None:
        self.threshold = threshold

    def reset(self) -> None:
        pass

    def probability(self, window: np.ndarray) -> float:
        return 1.0 if float(np.max(np.abs(window), initial=0.0)) > self.threshold else 0.0
