"""Prosody of an utterance (level, pitch, rate) for the emotion estimate."""

from __future__ import annotations

import numpy as np

from appliance.engines.nlu.base import VoiceFeatures


def voice_features(pcm: np.ndarray, sample_rate: int = 16_000, words: int = 0) -> VoiceFeatures:
    """Level (dBFS of voiced frames), median pitch (autocorrelation) and words per second."""
    x = pcm.astype(np.float64) / 32768.0
    n = int(0.04 * sample_rate)
    if len(x) < n:
        return VoiceFeatures()
    frames = x[: len(x) // n * n].reshape(-1, n)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-12
    voiced = frames[rms > max(rms.max() * 0.1, 1e-4)]
    level = float(20 * np.log10(np.sqrt(np.mean(voiced**2)) + 1e-12)) if len(voiced) else -120.0
    pitches = [p for p in (_pitch(f, sample_rate) for f in voiced) if p > 0]
    duration = len(x) / sample_rate
    return VoiceFeatures(round(level, 1), round(float(np.median(pitches)), 1) if pitches else 0.0,
                         round(words / duration, 2) if duration else 0.0)


def _pitch(frame: np.ndarray, rate: int, fmin: float = 70.0, fmax: float = 400.0) -> float:
    frame = frame - frame.mean()
    corr = np.correlate(frame, frame, mode="full")[len(frame) - 1:]
    lo, hi = int(rate / fmax), min(int(rate / fmin), len(corr) - 1)
    if hi <= lo or corr[0] <= 0:
        return 0.0
    lag = lo + int(np.argmax(corr[lo:hi]))
    return rate / lag if corr[lag] / corr[0] > 0.3 else 0.0
