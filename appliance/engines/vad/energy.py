"""Energy VAD: no model, a fallback when Silero cannot load."""

from __future__ import annotations

import numpy as np

from appliance.engines.vad.base import VadEngine


class EnergyVad(VadEngine):
    """Speech probability from the window's level relative to an adaptive noise floor."""

    name = "energy"
    window_samples = 320

    def __init__(self, margin_db: float = 12.0) -> None:
        self.margin_db = margin_db
        self.reset()

    def reset(self) -> None:
        self._floor_db = -60.0

    def probability(self, window: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(np.square(window.astype(np.float64))) + 1e-12))
        level = 20.0 * np.log10(rms + 1e-9)
        # the floor follows quiet windows quickly and loud ones slowly
        rate = 0.05 if level < self._floor_db + self.margin_db else 0.002
        self._floor_db += rate * (level - self._floor_db)
        excess = level - (self._floor_db + self.margin_db)
        return float(1.0 / (1.0 + np.exp(-excess / 2.0)))
