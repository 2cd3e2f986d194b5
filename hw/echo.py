"""The speaker's output as the echo reference, and the acoustic front end.

:class:`EchoReference` listens to an :class:`~hw.audio_out.AudioOutput` and
keeps what it played, resampled to the microphone rate, in a FIFO the capture
side reads at the same pace (the echo canceller estimates the remaining
delay itself). :class:`AcousticFrontEnd` turns one multi-channel microphone
block plus the reference into the clean mono the pipeline hears:

    per-mic echo cancellation (WebRTC AEC3) -> direction of arrival (SRP-PHAT)
    -> delay-and-sum beam toward the speaker -> noise suppression + AGC (WebRTC)

The WebRTC audio processing module comes from the ``pywebrtc-audio`` wheel
(x86_64 and aarch64). Without it the front end still beamforms but reports
itself DEGRADED (``aec-unavailable``) instead of failing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
import soxr

from hw.array_geometry import ArrayGeometry
from hw.beamformer import DelayAndSum
from hw.doa import DoaTracker
from hw.health import DeviceHealth

logger = logging.getLogger(__name__)


class EchoReference:
    """FIFO of played audio at ``rate``; attach with ``speaker.listeners.append(ref.on_played)``.

    ``max_s`` bounds the backlog: if the capture side stops reading, the
    oldest reference is dropped so the two never drift far apart.
    """

    def __init__(self, rate: int = 16_000, *, max_s: float = 1.0) -> None:
        self.rate = rate
        self._max = int(max_s * rate)
        self._fifo = np.zeros(0, dtype=np.float32)
        self._resampler: Any = None
        self._source_rate = 0
        self._lock = threading.Lock()
        self.dropped = 0

    def on_played(self, block: np.ndarray, rate: int, _ts: float) -> None:
        """Speaker listener: (int16 mono block, its rate, monotonic time)."""
        x = np.asarray(block, np.float32) / 32768.0
        if rate != self.rate:
            if self._resampler is None or rate != self._source_rate:
                self._resampler = soxr.ResampleStream(rate, self.rate, 1, dtype="float32")
                self._source_rate = rate
            x = self._resampler.resample_chunk(x)
        with self._lock:
            self._fifo = np.concatenate([self._fifo, x])
            extra = len(self._fifo) - self._max
            if extra > 0:
                self._fifo = self._fifo[extra:]
                self.dropped += extra

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` reference samples as int16 (silence where nothing played)."""
        with self._lock:
            out, self._fifo = self._fifo[:n], self._fifo[n:]
        if len(out) < n:
            out = np.pad(out, (0, n - len(out)))
        return np.asarray(np.clip(np.round(out * 32767.0), -32768, 32767), dtype=np.int16)

    def clear(self) -> None:
        with self._lock:
            self._fifo = np.zeros(0, dtype=np.float32)

    @property
    def pending(self) -> int:
        """Samples of reference not yet read."""
        return len(self._fifo)


def webrtc_available() -> bool:
    """True when the WebRTC audio processing wheel imports."""
    try:
        import pywebrtc_audio  # noqa: F401
    except ImportError:
        return False
    return True


class AcousticFrontEnd:
    """Echo cancellation, DOA, beamforming, noise suppression and AGC for one array.

    ``process(block, reference)`` takes ``(n, mics)`` int16 (n a multiple of
    10 ms) and the ``(n,)`` int16 echo reference; it returns ``(n,)`` int16.
    ``bearing_deg`` is the direction of the last voiced speech (None before),
    ``speech_probability`` that of the last block.
    """

    def __init__(self, geometry: ArrayGeometry, rate: int = 16_000, *, aec: bool = True,
                 noise_suppression: bool = True, ns_level: int = 2, agc: bool = True,
                 beamform: bool = True, stream_delay_ms: int = 0,
                 voice_threshold: float = 0.6, floor_margin_db: float = 8.0,
                 fixed_bearing_deg: float | None = None) -> None:
        self.geometry = geometry
        self.rate = rate
        self.health = DeviceHealth("audio-frontend")
        self.voice_threshold = voice_threshold
        self.floor_margin_db = floor_margin_db
        self._floor = 1e12
        self.fixed_bearing_deg = fixed_bearing_deg
        self.bearing_deg: float | None = fixed_bearing_deg
        self.speech_probability = 0.0
        multi = geometry.count > 1
        self._doa = DoaTracker(geometry, rate) if multi and fixed_bearing_deg is None else None
        self._beam = DelayAndSum(geometry, rate, bearing_deg=fixed_bearing_deg or 0.0) \
            if multi and beamform else None
        self._aecs: list[Any] = []
        self._post: Any = None
        self._vad: Any = None
        try:
            import pywebrtc_audio as webrtc
        except ImportError:
            self.health.degrade("aec-unavailable", "pywebrtc-audio is not installed: no echo "
                                "cancellation, noise suppression or AGC")
            logger.warning("WebRTC audio processing unavailable; the kiosk may hear itself")
            return
        if aec:
            self._aecs = [webrtc.EchoCanceller(rate, 1, stream_delay_ms)
                          for _ in range(geometry.count)]
        if noise_suppression or agc:
            self._post = webrtc.AudioProcessor(rate, 1, noise_suppression=noise_suppression,
                                               auto_gain_control=agc, ns_level=ns_level)
        self._vad = webrtc.VoiceDetector(rate, 1)
        self.health.ok()

    @property
    def echo_cancelling(self) -> bool:
        return bool(self._aecs)

    def cancel_echo(self, block: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
        """Per-mic echo cancellation only: ``(n, mics)`` int16 in and out."""
        x = np.asarray(block, np.int16)
        if not self._aecs:
            return x
        ref = np.zeros(len(x), np.int16) if reference is None else np.asarray(reference, np.int16)
        out = np.empty_like(x)
        for c, aec in enumerate(self._aecs):
            out[:, c] = aec.process(np.ascontiguousarray(x[:, c]), ref)
        return out

    def process(self, block: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        x = np.asarray(block, np.int16)
        if x.ndim == 1:
            x = x[:, None]
        clean = self.cancel_echo(x, reference)
        voiced = self._voiced(clean[:, 0]) and not self._mostly_echo(x[:, 0], clean[:, 0],
                                                                      reference)
        if self._doa is not None:
            bearing = self._doa.update(clean.astype(np.float64), voiced)
            if bearing is not None:
                self.bearing_deg = bearing
                if self._beam is not None and abs(bearing - self._beam.bearing_deg) >= 3.0:
                    self._beam.steer(bearing)
        mono = self._beam.process(clean) if self._beam is not None else clean.mean(axis=1)
        pcm = np.clip(np.round(mono), -32768, 32767).astype(np.int16)
        if self._post is not None:
            pcm = np.asarray(self._post.process(pcm), np.int16)
        return pcm

    def _voiced(self, channel: np.ndarray) -> bool:
        """Speech-like (WebRTC's estimate) and clearly above the noise floor.

        The floor follows the quietest frames (down at once, up ~0.5 dB/s), so
        station noise and what is left of the echo never steer the beam.
        """
        level = float(np.mean(channel.astype(np.float64) ** 2)) + 1.0
        self._floor = min(level, self._floor * 1.003)
        if self._vad is None:
            return level > self._floor * 10 ** (self.floor_margin_db / 10) * 4
        self.speech_probability = float(self._vad.process(np.ascontiguousarray(channel)))
        return (self.speech_probability >= self.voice_threshold
                and level > self._floor * 10 ** (self.floor_margin_db / 10))

    def _mostly_echo(self, raw: np.ndarray, clean: np.ndarray,
                     reference: np.ndarray | None) -> bool:
        """While the kiosk talks, a frame the canceller cut by 10 dB or more was its own voice."""
        if not self._aecs or reference is None:
            return False
        if float(np.mean(np.asarray(reference, np.float64) ** 2)) < 1e4:  # ~ -50 dBFS
            return False
        before = float(np.mean(raw.astype(np.float64) ** 2)) + 1.0
        after = float(np.mean(clean.astype(np.float64) ** 2)) + 1.0
        return after < before * 0.1

    def reset_speaker(self) -> None:
        """Forget the bearing (the visitor left); echo filters keep what they learned."""
        if self._doa is not None:
            self._doa.reset()
            self.bearing_deg = self.fixed_bearing_deg
