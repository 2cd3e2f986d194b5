"""Touch and typed questions: the input check, the pack's suggestions, and the whole loop
(keyword NLU, the site's QA and dialogue, scripted safety: every path runs in ms)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from appliance.app import Kiosk
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.qa.events import KioskEvent
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.fake import FakeSafety
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.errors import InputError
from appliance.frames import (
    Frame,
    PlaybackStopped,
    Reply,
    Safety,
    Transcript,
    Understanding,
)
from appliance.pipeline.typed import MAX_CHARS, check_question
from appliance.settings import Settings
from appliance.sitepack import SitePack, bundled_sitepack_dir, check_sitepack, load_sitepack
from appliance.sitepack.suggest import suggestions
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker

FIRE = "there is a fire on the platform"


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


# --- the check ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "says"), [
    ("", "type a question"), ("   \n\t ", "type a question"),
    ("x" * (MAX_CHARS + 1), "too long"), ("where is\x00 the exit", "cannot be shown"),
    ("exit\u202e", "cannot be shown"), (42, "must be text")])
def test_bad_input_is_refused_with_one_line(text: object, says: str) -> None:
    with pytest.raises(InputError, match=says) as err:
        check_question(text)
    assert "\n" not in str(err.value) and err.value.code == "bad-input"


def test_a_question_is_folded_and_keeps_how_it_was_asked() -> None:
    q = check_question("  where   are\nthe toilets? ", "touch", sign=True)
    assert (q.text, q.source, q.sign) == ("where are the toilets?", "touch", True)
    assert len(check_question("a" * MAX_CHARS).text) == MAX_CHARS
    for source, sign in (("voice", False), ("mouse", False), ("text", "yes")):
        with pytest.raises(InputError):
            check_question("hello", source, sign)


# --- suggestions ----------------------------------------------------------------------------

def test_the_pack_suggests_its_top_questions(pack: SitePack) -> None:
    shown = suggestions(pack)
    labels = [s.label for s in shown]
    assert "Toilets" in labels and "Buy a ticket" in labels and 4 <= len(shown) <= 8
    toilets = next(s for s in shown if s.label == "Toilets")
    assert KeywordNlu(pack).understand(toilets.question).intent == "find_toilet"


def test_a_pack_without_suggest_keys_still_offers_buttons(pack: SitePack) -> None:
    bare = dataclasses.replace(pack, intents={n: dataclasses.replace(i, suggest=None)
                                              for n, i in pack.intents.items()})
    shown = suggestions(bare)
    assert shown and all("{" not in s.question and len(s.label) <= 24 for s in shown)
    assert not any("emergency" in s.label.lower() for s in shown)


def test_a_bad_suggestion_is_named_with_its_line(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), root, ignore=shutil.ignore_patterns("eval"))
    intents = root / "intents.yaml"
    text = intents.read_text().replace(
        'suggest: {label: "Toilets", question: "Where are the toilets?"}',
        'suggest: {label: "Toilets and baby changing rooms", question: "Where is {exit}?"}')
    intents.write_text(text)
    _, problems = check_sitepack(root)
    said = [str(p) for p in problems if "suggest" in str(p)]
    assert len(said) == 2 and all("intents.yaml:" in p for p in said), said


# --- the whole loop -------------------------------------------------------------------------

class Loop:
    """A kiosk on sim audio whose questions arrive from the screen only."""

    def __init__(self, pack: SitePack, safety: dict[str, Safety] | None = None) -> None:
        self.events: list[KioskEvent] = []
        qa = SiteQa(pack, on_event=self.events.append)
        engines = Engines(FakeVad(), FakeAsr(), KeywordNlu(pack), qa, FakeTts(16_000),
                          PhonemeLipSync(), safety=FakeSafety(safety))
        mic = SimMicrophone(np.zeros(0, np.int16), realtime=False)
        self.kiosk = Kiosk(Settings(), engines, mic, SimSpeaker(16_000, realtime=False))
        self.frames: list[Frame] = []
        self._played = asyncio.Event()
        self.kiosk.pipeline.on_frame(self._on_frame)

    async def __aenter__(self) -> Loop:
        await self.kiosk.pipeline.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.kiosk.pipeline.stop()
        await self.kiosk.speaker.close()

    def _on_frame(self, frame: Frame) -> None:
        self.frames.append(frame)
        if isinstance(frame, PlaybackStopped):
            self._played.set()

    async def ask(self, text: str, source: str = "text", sign: bool = False) -> Reply:
        """Ask from the screen; the reply once the speaker has played it."""
        self._played.clear()
        turn = await self.kiosk.ask(check_question(text, source, sign))
        await asyncio.wait_for(self._played.wait(), 10)
        reply = [f for f in self.frames if isinstance(f, Reply)][-1]
        assert reply.turn_id == turn
        return reply


async def test_a_touched_question_gets_the_sites_answer_through_the_loop(
        pack: SitePack) -> None:
    loop = Loop(pack)
    async with loop:
        reply = await loop.ask("Where are the toilets?", "touch", sign=True)
    assert reply.text.startswith("The toilets are on the concourse")
    assert (reply.asked.source, reply.asked.sign) == ("touch", True)
    heard = [f for f in loop.frames if isinstance(f, Transcript)]
    understood = [f for f in loop.frames if isinstance(f, Understanding)]
    assert heard[-1].asked.source == "touch" and understood[-1].intent == "find_toilet"
    record = loop.kiosk.recorder.turns[reply.turn_id]
    assert record.asked.source == "touch" and record.audio, "the avatar did not speak it"


async def test_a_typed_danger_asks_the_danger_question_and_yes_calls_staff(
        pack: SitePack) -> None:
    loop = Loop(pack, {FIRE: Safety("confirm", "fire_smoke", 0.7)})
    async with loop:
        question = await loop.ask(FIRE)
        understood = [f for f in loop.frames if isinstance(f, Understanding)][-1]
        assert understood.safety.category == "fire_smoke"
        assert loop.kiosk.dialog is not None and loop.kiosk.dialog.pending is not None
        assert loop.kiosk.dialog.pending.kind == "confirm_danger"
        assert not loop.events, "a cue alone must not alert"
        answer = await loop.ask("yes", "touch")
    assert "?" in question.text
    assert [e.kind for e in loop.events] == ["emergency"]
    assert loop.events[0].category == "fire_smoke" and loop.events[0].reason == "confirmed"
    assert answer.asked.source == "touch" and answer.text != question.text


async def test_a_typed_question_is_answered_in_the_language_it_is_typed_in(
        pack: SitePack) -> None:
    loop = Loop(pack)
    async with loop:
        spanish = await loop.ask("¿Dónde están los baños?")
        english = await loop.ask("Where are the toilets?")
    heard = [f.language for f in loop.frames if isinstance(f, Transcript)]
    assert heard == ["es", "en"]
    # the keyword NLU here knows English words only: the Spanish reply is the pack's
    # Spanish (the encoder NLU's Spanish answers are tested with the real model)
    assert spanish.language == "es" and "puedo" in spanish.text.lower()
    assert english.language == "en"
    assert english.text.startswith("The toilets are on the concourse")


async def test_a_place_touched_on_the_plan_is_answered_in_the_visitors_language(
        pack: SitePack) -> None:
    """The plan's question is the pack's English ("Where are the toilets?"): after a
    Spanish question its answer is Spanish (was English, told from the English words),
    and once the visitor is gone (a minute), English again."""
    from appliance.app import LANGUAGE_HOLD_S
    from appliance.avatar.answer_map import PlanView
    from appliance.avatar.touch.desk import TouchDesk
    from appliance.avatar.touch.plan import PlanTouch

    plan = PlanTouch.from_pack(pack)
    assert plan is not None
    size = (704, 422)
    box = next(p for p in plan.plan.places if p.id == "toilets").box
    assert box is not None
    view = PlanView.fit(plan.plan, size)
    x, y = view.at(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    loop = Loop(pack)
    async with loop:
        desk = TouchDesk(loop.kiosk, asyncio.get_running_loop(), plan=plan)

        async def touch() -> Reply:
            loop._played.clear()
            body = {"x": x, "y": y, "w": size[0], "h": size[1]}
            answered = await asyncio.to_thread(desk.post, "/touch/plan", "application/json",
                                               json.dumps(body).encode())
            assert answered is not None and answered[0] == 202, answered
            await asyncio.wait_for(loop._played.wait(), 10)
            return [f for f in loop.frames if isinstance(f, Reply)][-1]

        assert loop.kiosk.conversation_language() == "en"
        first = await touch()
        await loop.ask("¿Dónde están los baños?")
        assert loop.kiosk.conversation_language() == "es"
        touched = await touch()
        later = loop.kiosk.conversation_language(time.monotonic() + LANGUAGE_HOLD_S + 1)
    heard = [f for f in loop.frames if isinstance(f, Transcript)]
    assert [(t.text, t.language) for t in heard] == [
        ("Where are the toilets?", "en"), ("¿Dónde están los baños?", "es"),
        ("Where are the toilets?", "es")]
    assert first.language == "en" and first.text.startswith("The toilets are on the concourse")
    assert touched.language == "es"
    assert touched.text.startswith("Los baños están en el vestíbulo")
    assert later == "en"

