"""Streaming fractional delays (windowed-sinc FIR), one per channel.

Used to steer a beamformer and to simulate a wave reaching each microphone
of an array at a slightly different time.
"""

from __future__ import annotations

import numpy as np

DEFAULT_TAPS = 33


def fractional_delay_kernel(delay: float, taps: int = DEFAULT_TAPS) -> np.ndarray:
    """FIR that delays by ``delay`` samples plus the constant ``(taps - 1) / 2``."""
    n = np.arange(taps) - (taps - 1) / 2 - delay
    kernel = np.sinc(n) * np.hanning(taps + 2)[1:-1]
    return np.asarray(kernel / kernel.sum(), dtype=np.float64)


class FractionalDelayBank:
    """Delays each of ``len(delays)`` channels by its own (non-negative) amount.

    ``process`` takes ``(n,)`` (the same signal for every channel) or
    ``(n, channels)`` and returns float64 ``(n, channels)``; state carries over
    between calls, so a stream can be fed in blocks of any size. Every channel
    also gets the constant ``latency`` (samples) of the filters.
    """

    def __init__(self, delays: np.ndarray | list[float], taps: int = DEFAULT_TAPS) -> None:
        self.taps = taps
        self.latency = (taps - 1) // 2
        self.set_delays(delays)
        self._history = np.zeros((taps - 1, len(self.delays)))

    def set_delays(self, delays: np.ndarray | list[float]) -> None:
        """Change the delays (samples); the stream continues without a gap."""
        d = np.asarray(delays, dtype=np.float64)
        if np.any(d < 0):
            raise ValueError("delays must be non-negative; add a common offset")
        max_delay = self.latency
        if np.any(d > max_delay):
            raise ValueError(f"delay above {max_delay} samples needs more taps")
        self.delays = d
        self._kernels = [fractional_delay_kernel(x, self.taps) for x in d]

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, dtype=np.float64)
        channels = len(self.delays)
        if x.ndim == 1:
            x = np.repeat(x[:, None], channels, axis=1)
        if x.shape[1] != channels:
            raise ValueError(f"expected {channels} channels, got {x.shape[1]}")
        buf = np.concatenate([self._history, x])
        out = np.empty_like(x)
        for c, kernel in enumerate(self._kernels):
            out[:, c] = np.convolve(buf[:, c], kernel, mode="valid")
        self._history = buf[len(buf) - (self.taps - 1):]
        return out
