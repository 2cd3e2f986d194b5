"""Acoustics of a station in numbers: the sound a microphone array would hear.

A far-field visitor at a bearing, the kiosk's own speaker as echo (delayed,
attenuated, smeared by a short room response, arriving from the speaker's
bearing) and diffuse station noise at a chosen SNR. Used by the sim
microphone array, the tests and the audio benchmark; everything is seeded so
a run is repeatable.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hw.array_geometry import ArrayGeometry
from hw.delays import FractionalDelayBank


def propagate(signal: np.ndarray, geometry: ArrayGeometry, bearing_deg: float,
              rate: int) -> np.ndarray:
    """A far-field wave from ``bearing_deg`` at each mic: ``(n, mics)`` float64.

    Exact fractional delays by FFT phase shift (circular, so the signal is
    padded first); the origin of the array hears the signal undelayed.
    """
    x = np.asarray(signal, np.float64)
    pad = 64
    n = len(x) + pad
    spec = np.fft.rfft(x, n=n)
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    delays = geometry.arrival_delays(bearing_deg)
    out = np.fft.irfft(spec[None, :] * np.exp(-2j * np.pi * freqs[None, :] * delays[:, None]),
                       n=n, axis=1)
    return np.asarray(out[:, : len(x)].T)


def pink_noise(samples: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS 1/f noise (the spectral tilt of crowd and ventilation noise)."""
    spec = np.fft.rfft(rng.standard_normal(samples))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n=samples)
    return np.asarray(x / (np.sqrt(np.mean(x * x)) + 1e-12))


def station_noise(samples: int, channels: int | ArrayGeometry, rate: int, seed: int = 7,
                  directions: int = 24) -> np.ndarray:
    """Diffuse station noise ``(n, channels)`` of unit RMS.

    Given an :class:`ArrayGeometry`, pink noise arrives as plane waves from
    ``directions`` evenly spread bearings (a diffuse field: coherent between
    mics only at low frequencies, as in a hall), plus a slow low-frequency
    rumble that swells like a passing train and a little sensor self-noise.
    Given a channel count, the channels are simply independent.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / rate
    rumble = np.sin(2 * np.pi * 55 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.1 * t))
    if isinstance(channels, ArrayGeometry):
        geometry = channels
        noise = np.zeros((samples, geometry.count))
        for k in range(directions):
            bearing = -180.0 + 360.0 * (k + rng.uniform()) / directions
            noise += propagate(pink_noise(samples, rng), geometry, bearing, rate)
        noise /= np.sqrt(directions)
        noise += 0.05 * rng.standard_normal(noise.shape)
    else:
        noise = np.stack([pink_noise(samples, rng) for _ in range(channels)], axis=1)
    noise += 0.5 * rumble[:, None]
    return np.asarray(noise / (np.sqrt(np.mean(noise * noise)) + 1e-12))


def room_response(rate: int, decay_ms: float = 40.0, seed: int = 3) -> np.ndarray:
    """A short loudspeaker-to-mic impulse response: direct path plus decaying reflections."""
    n = max(1, int(rate * decay_ms / 1000 * 3))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-t / (decay_ms / 1000)) * 0.3
    tail[0] = 1.0
    return np.asarray(tail / np.sqrt(np.sum(tail * tail)))


def power(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, np.float64) ** 2))


def active_power(x: np.ndarray, rate: int, frame_ms: int = 20) -> float:
    """Mean power of the louder half of the frames (speech without its pauses)."""
    x = np.asarray(x, np.float64)
    if x.ndim > 1:
        x = x[:, 0]
    n = rate * frame_ms // 1000
    frames = x[: len(x) // n * n].reshape(-1, n) if len(x) >= n else x[None, :]
    p = np.sort(np.mean(frames * frames, axis=1))
    return float(np.mean(p[len(p) // 2:])) if len(p) else 0.0


class EchoPath:
    """Streaming loudspeaker-to-array path: delay, gain, room response, bearing."""

    def __init__(self, geometry: ArrayGeometry, rate: int, *, delay_ms: float = 60.0,
                 gain_db: float = -6.0, bearing_deg: float = 0.0, decay_ms: float = 40.0) -> None:
        self.gain = 10 ** (gain_db / 20)
        self._rir = room_response(rate, decay_ms)
        self._rir_history = np.zeros(len(self._rir) - 1)
        self._line = np.zeros(int(rate * delay_ms / 1000))
        arrival = geometry.arrival_delays(bearing_deg) * rate
        self._bank = FractionalDelayBank(arrival - arrival.min())

    def process(self, played: np.ndarray) -> np.ndarray:
        """``(n,)`` played samples in, ``(n, mics)`` echo at the mics out."""
        x = np.asarray(played, np.float64) * self.gain
        buf = np.concatenate([self._rir_history, x])
        wet = np.convolve(buf, self._rir, mode="valid")
        self._rir_history = buf[len(buf) - (len(self._rir) - 1):]
        line = np.concatenate([self._line, wet])
        delayed, self._line = line[: len(x)], line[len(x):]
        return self._bank.process(delayed)


@dataclass
class SceneMix:
    """One simulated capture, with each part kept apart for measurement."""

    mics: np.ndarray
    """``(n, mics)`` int16: what the array records."""
    reference: np.ndarray
    """``(n,)`` int16: what the kiosk played (the echo reference)."""
    visitor: np.ndarray
    """``(n, mics)`` float: the visitor alone at the mics."""
    echo: np.ndarray
    """``(n, mics)`` float: the echo alone."""
    noise: np.ndarray
    """``(n, mics)`` float: the noise alone."""


def mix_scene(geometry: ArrayGeometry, rate: int, *, visitor: np.ndarray | None = None,
              played: np.ndarray | None = None, visitor_bearing_deg: float = 0.0,
              snr_db: float | None = 10.0, echo_delay_ms: float = 60.0,
              echo_gain_db: float = -6.0, echo_bearing_deg: float = 0.0,
              noise: np.ndarray | None = None, seed: int = 7) -> SceneMix:
    """Mix a whole scene offline. Signals are int16-scaled mono at ``rate``.

    ``snr_db`` is the visitor's speech power over the noise power at the mics
    (None = no noise). Without a visitor, noise is set against the echo.
    """
    length = max(len(visitor) if visitor is not None else 0,
                 len(played) if played is not None else 0)
    m = geometry.count
    voice = np.zeros((length, m))
    if visitor is not None:
        voice[: len(visitor)] = propagate(visitor, geometry, visitor_bearing_deg, rate)
    ref = np.zeros(length)
    if played is not None:
        ref[: len(played)] = played
    echo = EchoPath(geometry, rate, delay_ms=echo_delay_ms, gain_db=echo_gain_db,
                    bearing_deg=echo_bearing_deg).process(ref)
    noise_part = np.zeros((length, m))
    if snr_db is not None and length:
        base = (station_noise(length, geometry, rate, seed) if noise is None
                else _tile(noise, length, m))
        target = active_power(voice, rate) if visitor is not None else active_power(echo, rate)
        noise_part = base * np.sqrt(target / (power(base) + 1e-12) / 10 ** (snr_db / 10))
    total = voice + echo + noise_part
    mics = np.clip(np.round(total), -32768, 32767).astype(np.int16)
    return SceneMix(mics, np.clip(np.round(ref), -32768, 32767).astype(np.int16),
                    voice, echo, noise_part)


def _tile(noise: np.ndarray, length: int, channels: int) -> np.ndarray:
    x = np.asarray(noise, np.float64)
    if x.ndim == 1:
        x = x[:, None]
    reps = -(-length // len(x))
    x = np.tile(x, (reps, 1))[:length]
    if x.shape[1] < channels:
        x = np.tile(x, (1, -(-channels // x.shape[1])))
    return np.asarray(x[:, :channels])


def speech_like(seconds: float, rate: int = 16_000, *, seed: int = 1, f0: float = 120.0,
                level_dbfs: float = -20.0) -> np.ndarray:
    """A deterministic voiced signal with syllables and pauses, int16-scaled float.

    Harmonics of a wandering pitch shaped by moving formants and a 4 Hz
    syllable envelope: enough like speech for echo cancellation, direction
    finding and VAD tests when no recorded voice is at hand.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    pitch = f0 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    formants = (500 + 300 * np.sin(2 * np.pi * 1.3 * t), 1500 + 500 * np.sin(2 * np.pi * 0.9 * t))
    x = np.zeros(n)
    for k in range(1, 30):
        fk = k * pitch
        weight = sum(np.exp(-((fk - f) / 150.0) ** 2) for f in formants) + 0.05
        x += weight * np.sin(k * phase) / k**0.5
    x += 0.05 * rng.standard_normal(n)
    syllables = np.clip(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 6)), 0, None) ** 0.5
    pauses = (np.sin(2 * np.pi * 0.4 * t + rng.uniform(0, 6)) > -0.6).astype(np.float64)
    x *= syllables * pauses
    target = 32768 * 10 ** (level_dbfs / 20)
    return np.asarray(x * target / np.sqrt(active_power(x, rate) + 1e-12))


KIOSK_LINE = ("Welcome to the central station. The next train to the airport leaves from "
              "platform three in five minutes. Tickets are sold at the machines on your left.")
"""What the kiosk says in the simulations (the echo)."""
VISITOR_LINE = "Excuse me, where can I buy a ticket to the airport please?"
"""What the visitor says in the simulations."""


@functools.lru_cache(maxsize=8)
def spoken(text: str, voice: str = "en", rate: int = 16_000) -> np.ndarray:
    """``text`` spoken by espeak-ng (int16-scaled float mono at ``rate``).

    Falls back to :func:`speech_like` where espeak-ng is not installed.
    """
    from hw.audio_util import read_wav, resample, to_mono

    if shutil.which("espeak-ng") is None:
        return speech_like(0.07 * len(text), rate, seed=len(text))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True,
                       capture_output=True, timeout=60)
        pcm, file_rate = read_wav(path)
    return np.asarray(resample(to_mono(pcm), file_rate, rate), np.float64)
