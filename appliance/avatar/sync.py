"""Measure lip-sync on a recorded MP4: mouth-open moments in the video vs audio onsets.

A test reply opens the mouth (``aa``) exactly while a tone plays. After recording,
the MP4 is decoded back (only the mouth crop, through ffmpeg), the mouth's dark
area per frame gives the moment it opened (interpolated between frames), and the
decoded audio's envelope gives the moment each tone began. Offset = video - audio:
negative means the lips lead the sound (fine up to ~45 ms), positive that they lag.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.avatar import draw as d
from appliance.avatar.layout import layout_for
from appliance.frames import VisemeCue


def sync_probe(n_bursts: int = 6, sample_rate: int = 22_050, on_s: float = 0.3,
               off_s: float = 0.45) -> tuple[np.ndarray, list[VisemeCue]]:
    """Audio of tone bursts and the cues that open the mouth during each burst."""
    cues: list[VisemeCue] = []
    t = 0.2
    for _ in range(n_bursts):
        cues.append(VisemeCue("sil", cues[-1].end if cues else 0.0, t))
        cues.append(VisemeCue("aa", t, t + on_s))
        t += on_s + off_s
    cues.append(VisemeCue("sil", cues[-1].end, t))
    pcm = np.zeros(int(t * sample_rate), np.float64)
    for c in cues:
        if c.viseme == "aa":
            a, b = int(c.start * sample_rate), int(c.end * sample_rate)
            n = np.arange(b - a)
            pcm[a:b] = 0.5 * np.sin(2 * np.pi * 440.0 * n / sample_rate)
    return (pcm * 32767).astype(np.int16), cues


def mouth_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    """x, y, w, h of the mouth area for a screen size (even numbers, for ffmpeg crop)."""
    lay = layout_for(*size)
    hx, hy = lay.head
    s = lay.scale
    w, h = int(170 * s) // 2 * 2, int(130 * s) // 2 * 2
    x, y = int(hx - w / 2) // 2 * 2, int(hy + 80 * s) // 2 * 2
    return x, y, max(2, w), max(2, h)


def mouth_openness(crops: np.ndarray) -> np.ndarray:
    """Per frame (N, h, w, 3 BGR): pixels of the open mouth (cavity, teeth or tongue).

    Teeth and tongue count: a mouth showing its teeth is open even where they hide
    the dark cavity (an ``I`` or ``SS`` is mostly teeth).
    """
    px = crops.astype(np.int16)
    open_px = np.zeros(crops.shape[:3], bool)
    for colour, tol in ((d.MOUTH, 70), (d.TEETH, 12), (d.TONGUE, 40)):
        open_px |= np.abs(px - np.array(colour, np.int16)).sum(axis=-1) < tol
    return open_px.sum(axis=(1, 2)).astype(np.float64)


def decode_mouth(path: str | Path, size: tuple[int, int]) -> np.ndarray:
    x, y, w, h = mouth_box(size)
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"crop={w}:{h}:{x}:{y}",
         "-f", "rawvideo", "-pix_fmt", "bgr24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, h, w, 3)


def decode_audio(path: str | Path, sample_rate: int) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(sample_rate),
         "-f", "s16le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.int16).astype(np.float64) / 32768.0


def rising_edges(series: np.ndarray, rate: float, threshold: float) -> list[float]:
    """Times (s) where ``series`` crosses ``threshold`` upward, linearly interpolated."""
    above = series >= threshold
    times: list[float] = []
    for i in np.nonzero(above[1:] & ~above[:-1])[0]:
        a, b = series[i], series[i + 1]
        frac = (threshold - a) / (b - a) if b != a else 0.0
        times.append((i + frac) / rate)
    return times


def audio_onsets(audio: np.ndarray, sample_rate: int) -> list[float]:
    win = max(1, sample_rate // 1000)  # 1 ms envelope
    n = len(audio) // win
    env = np.abs(audio[: n * win]).reshape(n, win).max(axis=1)
    return rising_edges(env, 1000.0, 0.5 * env.max(initial=0.0))


@dataclass(frozen=True)
class SyncReport:
    offsets_ms: list[float]
    """Video minus audio, per burst (negative: lips lead)."""

    @property
    def mean_ms(self) -> float:
        return float(np.mean(self.offsets_ms)) if self.offsets_ms else float("nan")

    @property
    def max_abs_ms(self) -> float:
        return float(np.max(np.abs(self.offsets_ms))) if self.offsets_ms else float("nan")


def measure_av_sync(path: str | Path, size: tuple[int, int], fps: int,
                    sample_rate: int) -> SyncReport:
    """Pair each audio onset with the nearest mouth opening in the MP4."""
    openness = mouth_openness(decode_mouth(path, size))
    lo, hi = np.percentile(openness, 5), openness.max(initial=0.0)
    video = rising_edges(openness, float(fps), lo + 0.5 * (hi - lo))
    audio = audio_onsets(decode_audio(path, sample_rate), sample_rate)
    offsets: list[float] = []
    for a in audio:
        if video:
            v = min(video, key=lambda x: abs(x - a))
            if abs(v - a) < 0.25:
                offsets.append(float((v - a) * 1000.0))
    return SyncReport(offsets)
