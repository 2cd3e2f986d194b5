"""Small audio helpers shared by the devices: WAV I/O, mono mixdown, resampling."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import soxr


class WavFormatError(ValueError):
    """The file is not a WAV the kiosk can read (missing, empty, not PCM16...)."""


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV: returns ``(int16 array (frames, channels), rate)``."""
    p = Path(path)
    if not p.exists():
        raise WavFormatError(f"{p}: no such file")
    if p.is_dir():
        raise WavFormatError(f"{p}: is a directory, not a WAV file")
    if p.stat().st_size == 0:
        raise WavFormatError(f"{p}: file is empty")
    try:
        with wave.open(str(p), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        why = str(exc) or "truncated header"
        raise WavFormatError(f"{p}: not a PCM WAV file ({why})") from exc
    except OSError as exc:
        raise WavFormatError(f"{p}: cannot read ({exc.strerror or exc})") from exc
    if width != 2:
        raise WavFormatError(f"{p}: {8 * width}-bit samples; the kiosk reads 16-bit PCM")
    pcm = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if pcm.size == 0:
        raise WavFormatError(f"{p}: contains no audio")
    return pcm.reshape(-1, channels), rate


def write_wav(path: str | Path, pcm: np.ndarray, rate: int) -> Path:
    """Write int16 mono (or (frames, channels)) audio atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(pcm, dtype=np.int16)
    channels = 1 if data.ndim == 1 else data.shape[1]
    tmp = p.with_name(p.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.astype("<i2").tobytes())
    tmp.replace(p)
    return p


def to_mono(pcm: np.ndarray) -> np.ndarray:
    """Average the channels of ``(frames, channels)`` int16 audio."""
    if pcm.ndim == 1:
        return pcm.astype(np.int16)
    return np.round(pcm.astype(np.float32).mean(axis=1)).astype(np.int16)


def resample(pcm: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """High-quality rate conversion (libsoxr) of int16 or float mono audio."""
    if rate_in == rate_out:
        return pcm
    return np.asarray(soxr.resample(pcm, rate_in, rate_out, quality="HQ"))


def int16_to_float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) / 32768.0


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    return np.clip(np.round(audio * 32767.0), -32768, 32767).astype(np.int16)


def rms_dbfs(pcm: np.ndarray) -> float:
    """Level of int16 audio in dBFS (-120 for digital silence)."""
    if pcm.size == 0:
        return -120.0
    x = pcm.astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(x * x)))
    return max(-120.0, 20.0 * np.log10(rms + 1e-12))
