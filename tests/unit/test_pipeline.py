"""The pipeline core: order, overtaking system frames, interruption, bounded inboxes."""

from __future__ import annotations

import asyncio

import pytest

from appliance.frames import (
    ControlFrame,
    DataFrame,
    EndOfStream,
    Frame,
    Interrupt,
    StageError,
    Transcript,
)
from appliance.pipeline.pipeline import Pipeline
from appliance.pipeline.processor import Processor, WhenFull


class Slow(Processor):
    """Takes ``delay`` per data frame; records what it processed and interrupts seen."""

    name = "slow"

    def __init__(self, delay: float = 0.0, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.delay = delay
        self.done: list[Frame] = []
        self.interrupts = 0

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, DataFrame) and self.delay:
            await asyncio.sleep(self.delay)
        self.done.append(frame)
        await self.push(frame)

    async def on_interrupt(self, frame: Interrupt) -> None:
        self.interrupts += 1


class Boom(Processor):
    name = "boom"

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, Transcript) and frame.text == "boom":
            raise RuntimeError("engine exploded")
        await self.push(frame)


def texts(frames: list[Frame]) -> list[str]:
    return [f.text for f in frames if isinstance(f, Transcript)]


async def test_frames_keep_their_order_through_every_stage() -> None:
    seen: list[Frame] = []
    async with Pipeline([Slow(), Slow(), Slow()]) as p:
        p.on_frame(seen.append)
        for i in range(20):
            await p.push(Transcript(str(i), turn_id=1))
        await p.push(EndOfStream())
        await p.wait_ended(5)
    assert texts(seen) == [str(i) for i in range(20)]


async def test_interrupt_overtakes_and_drops_only_older_turns() -> None:
    slow = Slow(delay=0.05)
    seen: list[Frame] = []
    async with Pipeline([slow]) as p:
        p.on_frame(seen.append)
        for i in range(10):
            await p.push(Transcript(f"old{i}", turn_id=1))
        await p.push(ControlFrame(turn_id=1))
        await p.push(Transcript("new", turn_id=2))
        await asyncio.sleep(0.01)
        await p.push(Interrupt(turn_id=2))
        await p.push(EndOfStream(turn_id=2))
        await p.wait_ended(5)
    got = texts(seen)
    assert "new" in got
    assert len([t for t in got if t.startswith("old")]) <= 1  # at most the one in flight
    assert any(isinstance(f, ControlFrame) and f.turn_id == 1 for f in seen)  # control kept
    assert slow.interrupts == 1
    # the interrupt reached the end of the line before the frames it overtook
    first_interrupt = next(i for i, f in enumerate(seen) if isinstance(f, Interrupt))
    assert first_interrupt < seen.index(next(f for f in seen if isinstance(f, EndOfStream)))


async def test_drop_oldest_inbox_is_bounded_and_counts_drops() -> None:
    stage = Slow(delay=0.2, queue_size=4, when_full=WhenFull.DROP_OLDEST)
    async with Pipeline([stage]) as p:
        for i in range(20):
            await p.push(Transcript(str(i)))
        assert stage._data.qsize() <= 4
        assert stage.dropped >= 15


async def test_blocking_inbox_applies_backpressure() -> None:
    stage = Slow(delay=0.05, queue_size=2)
    async with Pipeline([stage]) as p:
        pushes = asyncio.gather(*(p.push(Transcript(str(i))) for i in range(6)))
        await asyncio.sleep(0.01)
        assert not pushes.done()  # producers wait instead of growing the queue
        await asyncio.wait_for(pushes, 5)


async def test_a_crashing_stage_reports_an_error_and_keeps_going() -> None:
    seen: list[Frame] = []
    async with Pipeline([Boom(), Slow()]) as p:
        p.on_frame(seen.append)
        await p.push(Transcript("boom", turn_id=3))
        await p.push(Transcript("fine", turn_id=4))
        await p.push(EndOfStream())
        await p.wait_ended(5)
    errors = [f for f in seen if isinstance(f, StageError)]
    assert errors and errors[0].code == "boom-crashed" and errors[0].turn_id == 3
    assert texts(seen) == ["fine"]


async def test_run_blocking_uses_one_thread_per_stage() -> None:
    import threading

    stage = Slow()
    async with Pipeline([stage]):
        names = await asyncio.gather(*(stage.run_blocking(lambda: threading.current_thread().name)
                                       for _ in range(5)))
    assert len(set(names)) == 1 and names[0].startswith("slow")


def test_only_system_frames_travel_upstream() -> None:
    async def go() -> None:
        a, b = Slow(), Slow()
        a.link(b)
        with pytest.raises(TypeError):
            await b.push(Transcript("x"), upstream=True)

    asyncio.run(go())


async def test_an_unpaced_wav_microphone_never_loses_audio_at_the_vad() -> None:
    """``kiosk demo --fast`` reads the WAV as fast as it can: the VAD must wait, not drop
    (a live microphone keeps drop-oldest: stale audio is worth less than new)."""
    import numpy as np

    from appliance.app import Kiosk
    from appliance.engines.asr.fake import FakeAsr
    from appliance.engines.factory import Engines
    from appliance.engines.lipsync.phonemes import PhonemeLipSync
    from appliance.engines.nlu.fake import FakeNlu
    from appliance.engines.qa.fake import FakeQa
    from appliance.engines.tts.fake import FakeTts
    from appliance.engines.vad.fake import FakeVad
    from appliance.settings import Settings
    from hw.audio_in import SimMicrophone
    from hw.audio_out import SimSpeaker

    def engines() -> Engines:
        return Engines(FakeVad(), FakeAsr(), FakeNlu(), FakeQa(), FakeTts(16000),
                       PhonemeLipSync())

    audio = (np.sin(np.arange(16000 * 20) / 5) * 8000).astype(np.int16)  # 20 s, loud
    live = Kiosk(Settings(), engines(), SimMicrophone(audio), SimSpeaker(16000))
    assert live.vad.when_full is WhenFull.DROP_OLDEST
    mic = SimMicrophone(audio, realtime=False)
    kiosk = Kiosk(Settings(), engines(), mic, SimSpeaker(16000, realtime=False))
    assert kiosk.vad.when_full is WhenFull.BLOCK
    await asyncio.wait_for(kiosk.run(), 30)
    assert kiosk.vad.dropped == 0
