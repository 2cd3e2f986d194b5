"""Barge-in on the assembled kiosk (fake engines, sim devices, real time)."""

from __future__ import annotations

import numpy as np

from appliance.app import Kiosk
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.frames import Interrupt
from appliance.settings import Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker

RATE = 16_000
LONG = "The nearest toilet is past exit B on your left. Keep walking past the ticket machines."


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def make_kiosk(audio: np.ndarray, second: str = "hello") -> tuple[Kiosk, FakeQa, SimSpeaker]:
    qa = FakeQa({"find_toilet": LONG, "greeting": "Hi there."})
    engines = Engines(FakeVad(), FakeAsr(["where is the toilet", second]), FakeNlu(), qa,
                      FakeTts(RATE), PhonemeLipSync())
    speaker = SimSpeaker(RATE, realtime=True)
    kiosk = Kiosk(Settings(), engines, SimMicrophone(audio, realtime=True, tail_s=0.8), speaker)
    return kiosk, qa, speaker


async def test_visitor_speech_interrupts_the_avatar_and_history_keeps_what_was_heard() -> None:
    # question, pause while the avatar answers, then the visitor talks over it
    audio = np.concatenate([tone(0.5), silence(2.0), tone(0.6)])
    kiosk, _qa, speaker = make_kiosk(audio)
    interrupts: list[Interrupt] = []
    kiosk.pipeline.on_frame(lambda f: interrupts.append(f) if isinstance(f, Interrupt) else None)
    recorder = await kiosk.run(timeout=30)

    first, second = recorder.turns[1], recorder.turns[2]
    assert first.reply is not None and first.reply.text == LONG
    assert first.playback is not None and first.playback.interrupted
    full = FakeTts(RATE).seconds_per_char * len(LONG)
    assert 0.5 < first.playback.position < full - 1.0
    heard = first.playback.heard_text.split()
    assert 0 < len(heard) < len(LONG.split())
    assert LONG.split()[: len(heard)] == heard
    assert [i.turn_id for i in interrupts] == [2]

    assert second.reply is not None and second.reply.text == "Hi there."
    assert second.playback is not None and not second.playback.interrupted
    # the dialogue remembers only what the visitor actually heard of the first reply
    history = kiosk.pipeline.processors[3].context.history  # type: ignore[attr-defined]
    assert history[0] == ("where is the toilet", first.playback.heard_text)
    # nothing of the first reply was played after the interruption
    played = sum(len(b) for b in speaker.recording) / RATE
    assert abs(played - (first.playback.position + second.playback.position)) < 0.05
    health = recorder.health()
    assert health["counters"]["answered"] == 2 and health["counters"]["interrupted"] == 1
    assert health["latency_ms"]["end_of_speech_to_first_audio"]["n"] == 2


async def test_a_cough_while_the_avatar_talks_does_not_interrupt() -> None:
    audio = np.concatenate([tone(0.5), silence(2.0), tone(0.17), silence(0.5)])
    kiosk, _, _ = make_kiosk(audio, second="")  # a cough: the ASR hears nothing
    recorder = await kiosk.run(timeout=30)
    assert recorder.turns[1].playback is not None
    assert not recorder.turns[1].playback.interrupted


async def test_speculative_transcript_is_used_only_when_the_visitor_stopped() -> None:
    # a pause longer than speculate_ms but shorter than min_silence_ms, then more speech
    audio = np.concatenate([tone(0.4), silence(0.2), tone(0.4)])
    kiosk, _, _ = make_kiosk(audio)
    asr = kiosk.pipeline.processors[1]
    recorder = await kiosk.run(timeout=30)
    assert recorder.turns[1].transcript == "where is the toilet"
    assert len(recorder.turns) == 1  # the short pause did not split the turn
    assert asr.speculation == {"used": 1, "wasted": 1}  # type: ignore[attr-defined]
