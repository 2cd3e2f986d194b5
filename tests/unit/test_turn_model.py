"""The learned end-of-turn decision: finished vs unfinished words, its thresholds, its cache,
the rule as fallback, and the endpointer waiting on what it says."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from appliance.engines.asr.fake import FakeAsr
from appliance.engines.vad.fake import FakeVad
from appliance.frames import AudioFrame, EndOfStream, Frame, SpeechEnded
from appliance.pipeline import turn_model
from appliance.pipeline.asr_stage import AsrProcessor
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.pipeline import Pipeline
from appliance.pipeline.processor import WhenFull
from appliance.pipeline.turn_data import rows
from appliance.pipeline.turn_end import words_complete
from appliance.pipeline.turn_model import TurnEndModel, choose_thresholds
from appliance.pipeline.vad_stage import VadProcessor
from appliance.settings import VadSettings
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from appliance.sitepack.model import SitePack
from tests.unit.test_vad_join import segments


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


@pytest.fixture(scope="module")
def model(pack: SitePack) -> TurnEndModel:
    return TurnEndModel.train(rows(pack))


FINISHED = ["Where is the nearest toilet?", "where is the nearest toilet",
            "Can you say that again please?", "I need to speak to a member of staff.",
            "Thank you very much."]
OPEN = ["I need to get to the", "I need to get to the...", "I need to get to.",
        "Is there a lift, um", "How much is a ticket to", "Where can I buy a", "um",
        "How long does it take to get to?"]


@pytest.mark.parametrize("text", FINISHED)
def test_finished_questions_read_as_likely_finished_and_never_open(
        model: TurnEndModel, text: str) -> None:
    # well past even (the pack's own lines train it: after its where-is-the-coffee-kiosk
    # phrasings an unpunctuated "where is the nearest toilet" reads 0.70), never held open
    assert model.probability(text) > 0.6
    assert model.judge(text) is not False


@pytest.mark.parametrize("text", OPEN)
def test_words_left_hanging_are_open(model: TurnEndModel, text: str) -> None:
    assert model.probability(text) < 0.2
    assert model.judge(text) is False


def test_whisper_punctuation_alone_does_not_finish_a_fragment(model: TurnEndModel) -> None:
    # Whisper closes fragments with "?" too; the rule would call these finished
    for text in ["Where can?", "How?"]:
        assert words_complete(text) is True
        assert model.judge(text) is False


def test_no_words_say_nothing(model: TurnEndModel) -> None:
    assert model.judge("") is None
    assert model.judge("  ...") is None


def test_judgement_follows_the_thresholds(model: TurnEndModel) -> None:
    text = "Where is the nearest toilet?"
    p = model.probability(text)
    assert TurnEndModel(model.weights, p, p / 2).judge(text) is True
    assert TurnEndModel(model.weights, 1.0, p).judge(text) is False
    assert TurnEndModel(model.weights, 1.0, p / 2).judge(text) is None


def test_thresholds_keep_finished_calls_precise_and_open_calls_rare_on_finished() -> None:
    rng = np.random.default_rng(0)
    y = np.array([1.0] * 200 + [0.0] * 800)
    p = np.clip(np.where(y > 0, rng.normal(0.8, 0.15, 1000), rng.normal(0.3, 0.2, 1000)), 0, 1)
    finished_at, open_at = choose_thresholds(p, y)
    called = p >= finished_at
    assert called.any() and y[called].mean() >= turn_model.FINISHED_PRECISION
    assert (p[y > 0] <= open_at).mean() <= turn_model.OPEN_COST + 1 / 200
    assert open_at <= finished_at


def test_held_out_lines_beat_always_finished_and_rarely_end_early(pack: SitePack,
                                                                 model: TurnEndModel) -> None:
    held = [r for r in rows(pack) if r.held_out]
    y = np.array([r.finished for r in held])
    p = model.probabilities([r.text for r in held])
    # balanced accuracy: a constant answer (always finished, or never) scores 0.5
    balanced = ((p[y] >= 0.5).mean() + (p[~y] < 0.5).mean()) / 2
    assert balanced > 0.8
    judged = [model.judge(r.text) for r in held]
    premature = sum(j is True and not r.finished for j, r in zip(judged, held))
    assert premature <= 0.01 * sum(not r.finished for r in held)


def test_training_is_deterministic(pack: SitePack, model: TurnEndModel) -> None:
    again = TurnEndModel.train(rows(pack))
    assert np.array_equal(again.weights, model.weights)
    assert (again.finished_at, again.open_at) == (model.finished_at, model.open_at)


def test_the_model_is_kept_per_pack_and_loaded_again(pack: SitePack, tmp_path: Path) -> None:
    first = turn_model.for_pack(pack, tmp_path)
    [kept] = list(tmp_path.glob("turn-end-*.npz"))
    assert pack.manifest.name in kept.name
    second = turn_model.for_pack(pack, tmp_path)
    assert np.allclose(first.weights, second.weights, atol=1e-6)
    assert second.judge("I need to get to the") is first.judge("I need to get to the")


def test_the_rule_may_hold_a_turn_open_but_only_the_model_finishes_it(
        model: TurnEndModel) -> None:
    unsure = TurnEndModel(model.weights, finished_at=2.0, open_at=-1.0)  # never decides
    judge = turn_model.with_rule(unsure)
    assert unsure.judge("Where can I buy a...") is None
    assert judge("Where can I buy a...") is False  # the rule hears the open ending
    assert words_complete("Where is the nearest toilet?") is True
    assert judge("Where is the nearest toilet?") is None  # the rule alone never finishes
    sure = TurnEndModel(model.weights, finished_at=0.0, open_at=-1.0)  # always finished
    assert turn_model.with_rule(sure)("Where is the nearest toilet?") is True
    assert turn_model.with_rule(sure)("I need to get to the") is False


def test_without_a_pack_the_rule_judges() -> None:
    assert turn_model.judge_for(None) is None
    stage = VadProcessor(FakeVad(), Conversation(), VadSettings())
    assert stage.judge is words_complete


# 0.5 s mid-sentence pause: longer than the usual 0.3 s wait, shorter than an open one
PAUSED = [("quiet", 0.3), ("voice", 0.8), ("quiet", 0.5), ("voice", 0.8), ("quiet", 1.2)]


async def ends(frames: list[AudioFrame], heard: str,
               judge: Callable[[str], bool | None]) -> list[SpeechEnded]:
    """The VAD's SpeechEnded frames while the ASR hears ``heard`` and ``judge`` judges it."""
    conversation = Conversation()
    vad = VadProcessor(FakeVad(), conversation, VadSettings(speculate_ms=100, join_ms=0),
                       judge=judge)
    asr = AsrProcessor(FakeAsr([heard] * 4), conversation)
    vad.when_full = asr.when_full = WhenFull.BLOCK
    seen: list[Frame] = []
    async with Pipeline([vad, asr]) as p:
        p.on_frame(seen.append)
        for f in frames:
            await p.push(f)
            while vad._data.qsize() or asr._data.qsize():  # in step, as a live microphone is
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.002)
        await p.push(EndOfStream())
        await p.wait_ended(5)
    return [f for f in seen if isinstance(f, SpeechEnded)]


async def test_an_open_guess_keeps_a_paused_question_whole(model: TurnEndModel) -> None:
    assert len(await ends(segments(*PAUSED), "I need to get to the", model.judge)) == 1


async def test_a_finished_call_ends_sooner_than_an_open_one(model: TurnEndModel) -> None:
    frames = segments(("quiet", 0.3), ("voice", 0.8), ("quiet", 1.0))
    text = "Where is the nearest toilet?"
    sure = TurnEndModel(model.weights, model.probability(text), 0.0)  # calls it finished
    finished = await ends(frames, text, sure.judge)
    still_open = await ends(frames, "I need to get to the", model.judge)
    assert len(finished) == len(still_open) == 1
    # the same last voiced window, but the finished one stops listening sooner
    assert len(finished[0].audio) < len(still_open[0].audio)
