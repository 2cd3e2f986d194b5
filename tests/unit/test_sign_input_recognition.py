"""The fingerspelling recogniser, measured on held-out SYNTHETIC landmarks, and a spelt
word reaching the kiosk as a question with source "sign".

Every hand here is drawn from the avatar's own ASL hand model (appliance.sign.handshape)
with jitter; the training seed and the test seeds differ. That measures whether the
recogniser separates our model's letters, not how it reads real signers: real-world
accuracy is unknown.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from appliance.app import Kiosk
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.fake import FakeSafety
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.frames import Frame, PlaybackStopped, Reply, Transcript, Understanding
from appliance.pipeline.typed import Question
from appliance.settings import Settings
from appliance.sign.input.bridge import SignInput
from appliance.sign.input.classifier import (
    LetterClassifier,
    per_letter_accuracy,
    train_fingerspelling,
)
from appliance.sign.input.landmarks import LandmarkFrame, ReplaySource
from appliance.sign.input.synth import DEFAULT_JITTER, STATIC_LETTERS, dataset, sample
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker

TEST_SEEDS = (7, 8)
"""Held-out seeds (training uses TRAIN_SEED = 1)."""


@pytest.fixture(scope="module")
def model() -> LetterClassifier:
    return train_fingerspelling()


def _table(title: str, acc: dict[str, float]) -> str:
    cells = "  ".join(f"{k}:{v:.2f}" for k, v in acc.items())
    return f"\n{title}: mean {np.mean(list(acc.values())):.3f}\n  {cells}"


@pytest.mark.parametrize("harder", [1.0, 1.5])
def test_per_letter_accuracy_on_held_out_synthetic_hands(
        model: LetterClassifier, harder: float, capsys: pytest.CaptureFixture[str]) -> None:
    hands, labels = [], []
    for seed in TEST_SEEDS:
        h, lab = dataset(seed, 50, DEFAULT_JITTER.scaled(harder))
        hands += h
        labels += lab
    acc = per_letter_accuracy(model, hands, labels)
    with capsys.disabled():
        print(_table(f"SYNTHETIC landmarks from our own hand model, jitter x{harder} "
                     "(not real signers; real-world accuracy unknown)", acc))
    assert set(acc) == set(STATIC_LETTERS)
    mean = float(np.mean(list(acc.values())))
    # floors a little under what was measured (mean 0.98 / 0.92, worst letter 0.83 / 0.54)
    assert mean >= (0.92 if harder == 1.0 else 0.85)
    assert min(acc.values()) >= (0.6 if harder == 1.0 else 0.35)


def spelt(word: str, seed: int, hold: int = 10, gap: int = 3,
          pause: int = 30) -> list[LandmarkFrame]:
    """A synthetic signer spelling ``word``: each frame a fresh jittered hand."""
    rng = np.random.default_rng(seed)
    out: list[LandmarkFrame] = []
    t = 0.0
    for letter in word:
        for _ in range(gap):  # the move between letters: no letter read
            out.append(LandmarkFrame(t, None))
            t += 1 / 30
        for _ in range(hold):
            out.append(LandmarkFrame(t, sample(letter, rng, DEFAULT_JITTER.scaled(0.5))))
            t += 1 / 30
    out += [LandmarkFrame(t + i / 30, None) for i in range(pause)]
    return out


async def test_spelt_words_come_out_as_sign_questions(model: LetterClassifier) -> None:
    asked: list[Question] = []

    async def ask(q: Question) -> int:
        asked.append(q)
        return len(asked)

    frames = spelt("help", 11) + spelt("exit", 12) + spelt("hill", 13)[:-25]
    turns = await asyncio.wait_for(SignInput(ReplaySource(frames), model, ask).run(), 30)
    assert [q.text for q in asked] == ["help", "exit", "hill"]  # the last one by flush
    assert all(q.source == "sign" and q.sign for q in asked) and turns == [1, 2, 3]


async def test_a_spelt_word_goes_through_the_kiosk_loop(model: LetterClassifier) -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    engines = Engines(FakeVad(), FakeAsr(), KeywordNlu(pack), SiteQa(pack), FakeTts(16_000),
                      PhonemeLipSync(), safety=FakeSafety(None))
    mic = SimMicrophone(np.zeros(0, np.int16), realtime=False)
    kiosk = Kiosk(Settings(), engines, mic, SimSpeaker(16_000, realtime=False))
    seen: list[Frame] = []
    played = asyncio.Event()

    def on_frame(frame: Frame) -> None:
        seen.append(frame)
        if isinstance(frame, PlaybackStopped):
            played.set()

    kiosk.pipeline.on_frame(on_frame)
    await kiosk.pipeline.start()
    try:
        sign = SignInput(ReplaySource(spelt("toilet", 21)), model, kiosk.ask)
        [turn] = await asyncio.wait_for(sign.run(), 30)
        await asyncio.wait_for(played.wait(), 10)
    finally:
        await kiosk.pipeline.stop()
        await kiosk.speaker.close()
    heard = [f for f in seen if isinstance(f, Transcript)]
    understood = [f for f in seen if isinstance(f, Understanding)]
    reply = [f for f in seen if isinstance(f, Reply)][-1]
    assert heard[-1].text == "toilet" and heard[-1].asked.source == "sign"
    assert understood[-1].intent == "find_toilet"
    assert reply.turn_id == turn and (reply.asked.source, reply.asked.sign) == ("sign", True)
