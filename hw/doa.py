"""Direction of arrival: GCC-PHAT time delays and an SRP-PHAT bearing tracker.

:func:`gcc_phat` finds the delay between two signals (the textbook
generalized cross-correlation with phase transform). :func:`srp_phat_bearing`
scores every candidate bearing by summing the GCC-PHAT of all microphone pairs
at the delays that bearing implies, which is robust with small arrays.
:class:`DoaTracker` does this on a stream, only while someone speaks, and
smooths the answer so the avatar's gaze does not jitter.
"""

from __future__ import annotations

import functools
import itertools
import logging

import numpy as np

from hw.array_geometry import SPEED_OF_SOUND, ArrayGeometry

logger = logging.getLogger(__name__)


def gcc_phat(sig: np.ndarray, ref: np.ndarray, rate: int, *, max_tau: float | None = None,
             interp: int = 16) -> tuple[float, np.ndarray]:
    """Delay of ``sig`` behind ``ref`` in seconds (positive when ``sig`` lags).

    Returns ``(tau, cc)`` where ``cc`` is the interpolated PHAT-weighted
    cross-correlation centred on zero lag.
    """
    n = len(sig) + len(ref)
    spec = np.fft.rfft(np.asarray(sig, np.float64), n=n) * np.conj(
        np.fft.rfft(np.asarray(ref, np.float64), n=n))
    spec /= np.abs(spec) + 1e-12
    cc = np.fft.irfft(spec, n=interp * n)
    max_shift = interp * n // 2
    if max_tau is not None:
        max_shift = min(int(interp * rate * max_tau), max_shift)
    cc = np.concatenate((cc[-max_shift:], cc[: max_shift + 1]))
    shift = int(np.argmax(np.abs(cc))) - max_shift
    return shift / float(interp * rate), cc


def _pairs(count: int) -> list[tuple[int, int]]:
    return list(itertools.combinations(range(count), 2))


def phat_spectra(block: np.ndarray, nfft: int, beta: float = 0.6) -> np.ndarray:
    """Whitened cross-spectra of every mic pair: ``(pairs, nfft//2+1)``.

    ``beta`` = 1 is the classic phase transform (every bin counts the same);
    below 1 (PHAT-beta) louder bins keep some weight, which stops faint
    coherent leftovers (residual echo, hum) from outvoting the talker. The
    result is scaled to a peak of 1 so every frame weighs alike in averages.
    """
    x = np.asarray(block, np.float64)
    window = np.hanning(len(x))[:, None]
    spectra = np.fft.rfft(x * window, n=nfft, axis=0)
    out = []
    for i, j in _pairs(x.shape[1]):
        cross = spectra[:, i] * np.conj(spectra[:, j])
        out.append(cross / (np.abs(cross) ** beta + 1e-12))
    result = np.asarray(out)
    return result / (np.abs(result).max() + 1e-12)


class SrpPhat:
    """Scores candidate bearings from averaged PHAT cross-spectra."""

    def __init__(self, geometry: ArrayGeometry, rate: int, *, nfft: int = 1024,
                 step_deg: float = 1.0, band_hz: tuple[float, float] = (200.0, 5000.0)) -> None:
        self.geometry = geometry
        self.rate = rate
        self.nfft = nfft
        low, high = geometry.bearing_range()
        self.grid = np.arange(low, high + (0 if high == 180 else step_deg / 2), step_deg)
        freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
        self._band = (freqs >= band_hz[0]) & (freqs <= band_hz[1])
        freqs = freqs[self._band]
        # expected delay of mic i behind mic j for each bearing and pair
        delays = np.array([geometry.arrival_delays(b) for b in self.grid])  # (grid, mics)
        pair_tau = np.array([delays[:, i] - delays[:, j] for i, j in _pairs(geometry.count)])
        # steering phases: (pairs, grid, freqs)
        self._steer = np.exp(2j * np.pi * pair_tau[:, :, None] * freqs[None, None, :])

    def scores(self, cross: np.ndarray) -> np.ndarray:
        """Power of each bearing in :attr:`grid` for cross-spectra from :func:`phat_spectra`."""
        c = cross[:, self._band]
        return np.real(np.einsum("pgf,pf->g", self._steer, c))

    def bearing(self, cross: np.ndarray) -> tuple[float, float]:
        """Best bearing (degrees) and its normalized score (0..1)."""
        s = self.scores(cross)
        k = int(np.argmax(s))
        norm = cross.shape[0] * int(self._band.sum())
        return float(self.grid[k]), float(s[k] / max(norm, 1))


@functools.lru_cache(maxsize=8)
def _srp(geometry: ArrayGeometry, rate: int, nfft: int, step_deg: float) -> SrpPhat:
    return SrpPhat(geometry, rate, nfft=nfft, step_deg=step_deg)


def srp_phat_bearing(block: np.ndarray, geometry: ArrayGeometry, rate: int, *,
                     window: int = 1024, step_deg: float = 1.0) -> tuple[float, float]:
    """Bearing (degrees) and score of the strongest source in a ``(samples, mics)`` recording.

    PHAT cross-spectra of half-overlapping ``window``-sample frames are
    averaged over the louder half of the frames (where the talker is).
    """
    x = np.asarray(block, np.float64)
    if len(x) < window:
        x = np.pad(x, ((0, window - len(x)), (0, 0)))
    starts = range(0, len(x) - window + 1, window // 2)
    energy = np.array([np.mean(x[s:s + window] ** 2) for s in starts])
    loud = [s for s, e in zip(starts, energy, strict=False) if e >= np.median(energy)]
    cross = np.mean([phat_spectra(x[s:s + window], 2 * window) for s in loud], axis=0)
    return _srp(geometry, rate, 2 * window, step_deg).bearing(cross)


class DoaTracker:
    """Streaming bearing of the person speaking.

    Feed every multi-channel block with ``voiced`` telling whether it holds the
    visitor's speech; only voiced blocks move the estimate. Cross-spectra of a
    sliding ``window`` are averaged with weight ``alpha`` per update.
    """

    def __init__(self, geometry: ArrayGeometry, rate: int = 16_000, *, window: int = 512,
                 alpha: float = 0.3, min_score: float = 0.05) -> None:
        if geometry.count < 2:
            raise ValueError("direction of arrival needs at least two microphones")
        self.geometry = geometry
        self.window = window
        self.alpha = alpha
        self.min_score = min_score
        self._srp = SrpPhat(geometry, rate, nfft=2 * window)
        self._buffer = np.zeros((window, geometry.count))
        self._avg: np.ndarray | None = None
        self.bearing_deg: float | None = None
        self.score = 0.0

    def reset(self) -> None:
        """Forget the current speaker (e.g. when the visitor left)."""
        self._avg = None
        self.bearing_deg = None
        self.score = 0.0

    def update(self, block: np.ndarray, voiced: bool = True) -> float | None:
        """Add one block; returns the current bearing (None before any speech)."""
        x = np.asarray(block, np.float64)
        self._buffer = np.concatenate([self._buffer, x])[-self.window:]
        if not voiced:
            return self.bearing_deg
        cross = phat_spectra(self._buffer, 2 * self.window)
        if self._avg is None:
            self._avg = cross
        else:
            self._avg = (1 - self.alpha) * self._avg + self.alpha * cross
        bearing, score = self._srp.bearing(self._avg)
        self.score = score
        if score >= self.min_score:
            self.bearing_deg = bearing
        return self.bearing_deg


def max_pair_delay(geometry: ArrayGeometry) -> float:
    """Largest possible delay between two mics of the array (s)."""
    return geometry.aperture_m / SPEED_OF_SOUND
