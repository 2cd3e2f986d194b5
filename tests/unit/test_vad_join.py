"""A pause inside a question ("Excuse me, [pause] where is...") does not split it: speech
that resumes soon after an utterance ended, before the visitor heard an answer, is heard
whole by the ASR. Scripted audio through the real VAD stage with the fake VAD."""

from __future__ import annotations

import asyncio

import numpy as np

from appliance.engines.vad.fake import FakeVad
from appliance.frames import AudioFrame, EndOfStream, Frame, Interrupt, SpeechEnded
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.pipeline import Pipeline
from appliance.pipeline.processor import WhenFull
from appliance.pipeline.vad_stage import VadProcessor
from appliance.settings import VadSettings

RATE = 16_000
FRAME = 320  # 20 ms


def segments(*parts: tuple[str, float]) -> list[AudioFrame]:
    """Frames of ('voice' | 'quiet', seconds) parts, stream times from 0."""
    pcm = np.concatenate([
        (np.full(int(s * RATE), 8000 if kind == "voice" else 0, np.int16)) for kind, s in parts])
    return [AudioFrame(pcm[i:i + FRAME], RATE, i / RATE) for i in range(0, len(pcm), FRAME)]


async def run(frames: list[AudioFrame], conversation: Conversation,
              speak_from: float | None = None, **vad: int) -> list[Frame]:
    stage = VadProcessor(FakeVad(), conversation, VadSettings(speculate_ms=0, **vad))
    stage.when_full = WhenFull.BLOCK  # frames pushed faster than real time: drop none
    seen: list[Frame] = []
    async with Pipeline([stage]) as p:
        p.on_frame(seen.append)
        for f in frames:
            # the avatar starts answering at speak_from (what the output stage would set)
            conversation.speaking = speak_from is not None and f.stream_time >= speak_from
            await p.push(f)
            while stage._data.qsize():  # in step with the audio, as a live microphone is
                await asyncio.sleep(0.001)
        await p.push(EndOfStream())
        await p.wait_ended(5)
    return seen


def ended(seen: list[Frame]) -> list[SpeechEnded]:
    return [f for f in seen if isinstance(f, SpeechEnded)]


QUESTION = [("quiet", 0.3), ("voice", 0.6), ("quiet", 0.4), ("voice", 0.8), ("quiet", 0.5)]


async def test_a_short_pause_continues_the_question() -> None:
    seen = await run(segments(*QUESTION), Conversation())
    first, second = ended(seen)
    assert len(first.audio) / RATE < 1.2
    # the second utterance carries the first, the pause and itself: 0.6 + 0.4 + 0.8 s
    assert len(second.audio) / RATE >= 1.6
    assert second.turn_id > first.turn_id


async def test_join_off_keeps_the_parts_apart() -> None:
    seen = await run(segments(*QUESTION), Conversation(), join_ms=0)
    assert len(ended(seen)[1].audio) / RATE < 1.4


async def test_a_long_pause_is_a_new_question() -> None:
    frames = segments(("quiet", 0.3), ("voice", 0.6), ("quiet", 1.6), ("voice", 0.8),
                      ("quiet", 0.5))
    seen = await run(frames, Conversation())
    assert len(ended(seen)[1].audio) / RATE < 1.4


async def test_speech_after_the_visitor_heard_the_answer_is_a_new_question() -> None:
    # the answer starts 0.3 s after the first part; the visitor goes on 0.6 s into it
    frames = segments(("quiet", 0.3), ("voice", 0.6), ("quiet", 0.9), ("voice", 0.8),
                      ("quiet", 0.5))
    seen = await run(frames, Conversation(pending_turn=None), speak_from=1.2)
    assert len(ended(seen)[1].audio) / RATE < 1.4


async def test_a_reply_still_being_prepared_is_interrupted_by_the_rest() -> None:
    conversation = Conversation()
    frames = segments(*QUESTION)
    stage = VadProcessor(FakeVad(), conversation, VadSettings(speculate_ms=0))
    stage.when_full = WhenFull.BLOCK
    seen: list[Frame] = []
    async with Pipeline([stage]) as p:
        p.on_frame(seen.append)
        for f in frames:
            await p.push(f)
        await p.push(EndOfStream())
        await p.wait_ended(5)
    # the first part's turn was pending (its reply in the making) when the rest came
    interrupts = [f for f in seen if isinstance(f, Interrupt)]
    assert len(interrupts) == 1 and interrupts[0].turn_id == ended(seen)[1].turn_id
