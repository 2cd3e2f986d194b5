"""The ASR's guess during a pause reaches the VAD's endpointer: words left open
("I need to get to ...") keep the turn going through a pause that would otherwise
end it; a finished question ends sooner. Scripted audio through the real VAD and
ASR stages with the fake VAD and a scripted ASR."""

from __future__ import annotations

import asyncio

from appliance.engines.asr.fake import FakeAsr
from appliance.engines.vad.fake import FakeVad
from appliance.frames import AudioFrame, EndOfStream, Frame, SpeechEnded
from appliance.pipeline.asr_stage import AsrProcessor
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.pipeline import Pipeline
from appliance.pipeline.processor import WhenFull
from appliance.pipeline.vad_stage import VadProcessor
from appliance.settings import VadSettings
from tests.unit.test_vad_join import segments

# 0.5 s mid-sentence pause: longer than the usual 0.3 s wait, shorter than an open one
PAUSED = [("quiet", 0.3), ("voice", 0.8), ("quiet", 0.5), ("voice", 0.8), ("quiet", 1.2)]


async def ends(frames: list[AudioFrame], heard: str, *,
               judged: bool = True) -> list[SpeechEnded]:
    """The VAD's SpeechEnded frames while the ASR hears ``heard``."""
    conversation = Conversation()
    # unjudged: no guess during pauses (speculation off), the plain silence wait
    settings = VadSettings(speculate_ms=100 if judged else 0, join_ms=0)
    vad = VadProcessor(FakeVad(), conversation, settings)
    asr = AsrProcessor(FakeAsr([heard] * 4), conversation if judged else None)
    vad.when_full = asr.when_full = WhenFull.BLOCK
    seen: list[Frame] = []
    async with Pipeline([vad, asr]) as p:
        p.on_frame(seen.append)
        for f in frames:
            await p.push(f)
            # in step with the audio, as a live microphone is: the guess lands in time
            while vad._data.qsize() or asr._data.qsize():
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.002)
        await p.push(EndOfStream())
        await p.wait_ended(5)
    return [f for f in seen if isinstance(f, SpeechEnded)]


async def test_an_open_sentence_is_not_split_at_a_mid_sentence_pause() -> None:
    assert len(await ends(segments(*PAUSED), "I need to get to")) == 1


async def test_without_the_words_the_same_pause_splits_it() -> None:
    assert len(await ends(segments(*PAUSED), "I need to get to", judged=False)) == 2


async def test_a_finished_question_ends_sooner_than_an_unjudged_one() -> None:
    frames = segments(("quiet", 0.3), ("voice", 0.8), ("quiet", 1.0))
    judged = await ends(frames, "Where is the nearest toilet?")
    unjudged = await ends(frames, "Where is the nearest toilet?", judged=False)
    assert len(judged) == len(unjudged) == 1
    assert judged[0].stream_time == unjudged[0].stream_time  # the same last voiced window
    # ... declared earlier: the utterance's audio stops sooner after it (0.2 s, not 0.3 s)
    assert len(judged[0].audio) < len(unjudged[0].audio)
