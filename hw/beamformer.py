"""Delay-and-sum beamforming: align every microphone on one bearing and average.

Speech from the steered bearing adds up in phase; sound from elsewhere (the
crowd, diffuse station noise) partly cancels. With ``M`` mics diffuse noise
drops by up to ``10·log10(M)`` dB.
"""

from __future__ import annotations

import numpy as np

from hw.array_geometry import ArrayGeometry
from hw.delays import FractionalDelayBank


class DelayAndSum:
    """Streaming delay-and-sum beamformer steerable at run time."""

    def __init__(self, geometry: ArrayGeometry, rate: int = 16_000, *,
                 bearing_deg: float = 0.0, taps: int = 33) -> None:
        self.geometry = geometry
        self.rate = rate
        self.bearing_deg = bearing_deg
        self._bank = FractionalDelayBank(self._delays(bearing_deg), taps)
        self.latency = self._bank.latency

    def _delays(self, bearing_deg: float) -> np.ndarray:
        arrival = self.geometry.arrival_delays(bearing_deg) * self.rate
        # the mic reached last needs no delay; the others wait for it
        return np.asarray(arrival.max() - arrival)

    def steer(self, bearing_deg: float) -> None:
        """Point the beam at ``bearing_deg`` (takes effect on the next block)."""
        self.bearing_deg = bearing_deg
        self._bank.set_delays(self._delays(bearing_deg))

    def process(self, block: np.ndarray) -> np.ndarray:
        """``(n, mics)`` audio in, ``(n,)`` float64 beam out (same scale)."""
        aligned = self._bank.process(block)
        return np.asarray(aligned.mean(axis=1))
