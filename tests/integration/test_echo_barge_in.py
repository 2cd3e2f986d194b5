"""The avatar never interrupts itself: its voice, echoed into the microphone array, is
cancelled before the VAD (real Silero VAD, real Piper voice, simulated room)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import numpy as np
import pytest

from appliance.app import Kiosk, TurnRecorder
from appliance.devices.hardware import build_array_microphone
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.piper import PiperTts
from appliance.engines.vad.silero import SileroVad
from appliance.settings import AudioSettings, MicArraySettings, Settings
from hw.audio_out import SimSpeaker
from hw.audio_util import resample, write_wav

pytestmark = pytest.mark.slow

ANSWER = ("The nearest toilet is on the concourse, to the right of the ticket gates. "
          "Follow the signs for exit C, it is free to use.")


@pytest.fixture(scope="module")
def tts() -> PiperTts:
    return PiperTts()


@pytest.fixture(scope="module")
def question(tts: PiperTts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pcm = np.concatenate([c.pcm for c in tts.synthesize("Where is the nearest toilet?")])
    path = tmp_path_factory.mktemp("q") / "q.wav"
    return write_wav(path, resample(pcm, tts.sample_rate, 16000), 16000)


async def converse(tts: PiperTts, question: Path, aec: bool) -> TurnRecorder:
    array = MicArraySettings(enabled=True, echo_cancellation=aec, sim_echo_gain_db=0.0,
                             sim_snr_db=40.0)
    mic = build_array_microphone(AudioSettings(backend="sim", sim_input_wav=str(question)),
                                 array)
    speaker = SimSpeaker(tts.sample_rate, realtime=True)
    mic.attach_speaker(speaker)
    engines = Engines(SileroVad(), FakeAsr(["where is the toilet"]), FakeNlu(),
                      FakeQa({"find_toilet": ANSWER}), tts, PhonemeLipSync())
    kiosk = Kiosk(Settings(), engines, mic, speaker)
    with contextlib.suppress(asyncio.TimeoutError):
        await kiosk.run(timeout=14)
    return kiosk.recorder


async def test_echo_cancellation_keeps_the_avatar_from_interrupting_itself(
        tts: PiperTts, question: Path) -> None:
    recorder = await converse(tts, question, aec=True)
    first = recorder.turns[1]
    assert first.reply is not None and first.reply.text == ANSWER
    assert recorder.counters["interrupted"] == 0
    assert len(recorder.turns) == 1, "the avatar's own voice started a new turn"


async def test_without_echo_cancellation_the_avatar_hears_itself(
        tts: PiperTts, question: Path) -> None:
    # the control experiment: proves the test above can fail
    recorder = await converse(tts, question, aec=False)
    assert recorder.counters["interrupted"] >= 1 or len(recorder.turns) > 1
