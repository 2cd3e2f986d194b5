"""The live avatar of ``kiosk run`` on an assembled kiosk (fake engines, sim devices, real time).

Frames are checked by their pixels, on the monotonic clock the speaker also uses:
the mouth opens while a reply plays, closes when the visitor barges in, and a dead
engine puts the out-of-service screen up.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import numpy as np

from appliance.app import Kiosk
from appliance.avatar.live import LiveAvatar
from appliance.avatar.screens import out_of_service_screen
from appliance.avatar.sinks.base import FrameSink
from appliance.avatar.sync import mouth_box, mouth_openness
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.base import Prosody, TtsChunk
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.errors import KioskError
from appliance.frames import Frame, Interrupt, SpeechStarted, StageError, Transcript
from appliance.settings import AvatarSettings, Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker

RATE = 16_000
SIZE = (540, 960)
LONG = "The nearest toilet is past exit B on your left. Keep walking past the ticket machines."
AVATAR = AvatarSettings(width=SIZE[0], height=SIZE[1], fps=20, window=False, mjpeg_port=0)


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


class MouthProbe(FrameSink):
    """Keeps (time, mouth pixels) of every frame, and the last frame."""

    name = "probe"

    def __init__(self) -> None:
        self.samples: list[tuple[float, float]] = []
        self.last: np.ndarray | None = None
        self._box = mouth_box(SIZE)
        self._lock = threading.Lock()

    def write(self, frame: np.ndarray, t: float) -> None:
        x, y, w, h = self._box
        area = float(mouth_openness(frame[None, y : y + h, x : x + w])[0])
        with self._lock:
            self.samples.append((t, area))
            self.last = frame.copy()

    def between(self, t0: float, t1: float) -> list[float]:
        with self._lock:
            return [a for t, a in self.samples if t0 <= t <= t1]


class FailingTts(FakeTts):
    def synthesize(self, text: str, prosody: Prosody | None = None) -> Iterator[TtsChunk]:
        raise KioskError("the voice model is gone", code="tts-failed")
        yield  # a generator, like the real engines


def make_kiosk(audio: np.ndarray, tts: FakeTts | None = None) -> Kiosk:
    qa = FakeQa({"find_toilet": LONG, "greeting": "Hi there, how are you today?"})
    engines = Engines(FakeVad(), FakeAsr(["where is the toilet", "hello"]), FakeNlu(), qa,
                      tts or FakeTts(RATE), PhonemeLipSync())
    mic = SimMicrophone(audio, realtime=True, tail_s=0.8)
    return Kiosk(Settings(), engines, mic, SimSpeaker(RATE, realtime=True))


def watch(kiosk: Kiosk) -> tuple[list[float], list[float], list[StageError]]:
    """Reply start times (speaker clock), interrupt times, stage errors."""
    starts: list[float] = []
    interrupts: list[float] = []
    errors: list[StageError] = []

    def on_frame(frame: Frame) -> None:
        if isinstance(frame, Interrupt):
            interrupts.append(time.monotonic())
        elif isinstance(frame, StageError):
            errors.append(frame)

    def played(_b: np.ndarray, _r: int, _now: float) -> None:
        at = kiosk.speaker.log.started_at
        if at is not None and (not starts or starts[-1] != at):
            starts.append(at)

    kiosk.pipeline.on_frame(on_frame)
    kiosk.speaker.listeners.append(played)
    return starts, interrupts, errors


async def test_lips_move_with_the_reply_and_close_when_the_visitor_barges_in() -> None:
    kiosk = make_kiosk(np.concatenate([tone(0.5), silence(2.0), tone(0.6)]))
    probe = MouthProbe()
    live = LiveAvatar(AVATAR, sinks=[probe])
    live.attach(kiosk)
    starts, interrupts, _ = watch(kiosk)
    live.start()
    try:
        await kiosk.run(timeout=30)
        assert live.wait_idle()
    finally:
        live.stop()

    assert len(starts) == 2 and len(interrupts) == 1, (starts, interrupts)
    first, cut, second = starts[0], interrupts[0], starts[1]
    talking = probe.between(first + 0.1, cut - 0.05)
    assert talking and max(talking) > 200, "the mouth never opened during the first reply"
    assert sum(a > 50 for a in talking) > len(talking) / 3
    before = probe.between(first - 1.0, first - 0.1)
    assert before and max(before) < 20, "the mouth moved before the reply was heard"
    # after the barge-in: the pending mouth shapes are gone until the next reply plays
    quiet = probe.between(cut + 0.3, second - 0.05)
    assert quiet and max(quiet) < 20, f"mouth still moving after the interrupt: {max(quiet)}"
    again = probe.between(second + 0.1, second + 1.0)
    assert again and max(again) > 200, "the mouth did not open for the second reply"
    assert live.dropped == 0


async def test_a_dead_engine_puts_the_out_of_service_screen_up() -> None:
    kiosk = make_kiosk(np.concatenate([tone(0.5), silence(1.0)]), tts=FailingTts(RATE))
    probe = MouthProbe()
    live = LiveAvatar(AVATAR, sinks=[probe])
    live.attach(kiosk)
    _, _, errors = watch(kiosk)
    live.start()
    try:
        await kiosk.run(timeout=30)
        assert live.wait_idle()
        shown = probe.between(0, float("inf"))
        while len(probe.between(0, float("inf"))) < len(shown) + 2:  # a frame after the error
            await asyncio.sleep(0.05)
    finally:
        live.stop()
    assert [e.code for e in errors] == ["tts-failed"]
    assert live.scene.state.mode == "out_of_service"
    assert probe.last is not None
    expected = out_of_service_screen(*SIZE, reason="tts-failed")
    assert float(np.abs(probe.last.astype(np.int16) - expected).mean()) < 1.0


def test_the_attract_loop_returns_when_nobody_talks_for_a_while() -> None:
    now = [1000.0]
    live = LiveAvatar(AVATAR, sinks=[], clock=lambda: now[0], attract_after_s=45.0)
    assert live.scene.state.mode == "attract"  # nobody there yet
    live.start()
    try:
        live.on_frame(SpeechStarted(0.0, turn_id=1))
        live.on_frame(Transcript("where is the toilet", turn_id=1))
        assert live.wait_idle()
        assert live.scene.state.mode == "listening"
        now[0] += 30.0
        time.sleep(1.2)
        assert live.scene.state.mode == "listening"  # still within the quiet spell
        now[0] += 20.0
        deadline = time.monotonic() + 5
        while live.scene.state.mode != "attract" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.scene.state.mode == "attract"
    finally:
        live.stop()
