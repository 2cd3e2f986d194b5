"""Safety cues and calibration, dialogue acts, the dialogue's danger paths and bad input
(no model: the keyword NLU and scripted safety verdicts, so every path runs in ms)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from appliance.behavior import acts
from appliance.behavior.chat import Chat
from appliance.behavior.dialog import Dialog
from appliance.behavior.utterance import check_line
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.qa.events import KioskEvent
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.cues import cue_verdict, is_foreign_cry
from appliance.engines.safety.encoder import calibrate
from appliance.engines.safety.fake import FakeSafety
from appliance.engines.safety.keyword import KeywordSafety
from appliance.frames import Safety
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


class Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def make_dialog(pack: SitePack, script: dict[str, Safety] | None = None,
                ) -> tuple[Dialog, list[KioskEvent], Clock]:
    events: list[KioskEvent] = []
    clock = Clock()
    dialog = Dialog(pack, KeywordNlu(pack), SiteQa(pack, on_event=events.append),
                    FakeSafety(script), clock=clock)
    return dialog, events, clock


# --- cues: they ask, they never alarm ------------------------------------------------------

@pytest.mark.parametrize("text", ["socorro!", "Au secours", "救命", "도와주세요", "help!",
                                  "somebody help me please", "there's a knife"])
def test_cues_raise_a_question_never_an_alert(text: str) -> None:
    verdict = cue_verdict(text)
    assert verdict.action == "confirm" and verdict.cue


@pytest.mark.parametrize(("text", "category"), [
    ("il y a un sac abandonné sur le quai", "suspicious_item"),
    ("hay una mochila abandonada en el andén", "suspicious_item"),
    ("mi hijo se perdió, tiene seis años", "lost_child")])
def test_a_danger_named_calmly_in_another_language_asks_with_its_category(
        text: str, category: str) -> None:
    verdict = cue_verdict(text)
    assert verdict.action == "confirm" and verdict.category == category
    assert is_foreign_cry(verdict.cue)  # the English encoder cannot read it: always ask


@pytest.mark.parametrize("text", ["he perdido mi cartera", "se me ha perdido la cartera",
                                  "mi hijo quiere ir al zoo", "can you help me find the toilet",
                                  "where is the fire exit",
                                  "where's the police station", "help desk opening hours please"])
def test_ordinary_requests_have_no_cue(text: str) -> None:
    assert cue_verdict(text).action == "none"


def test_keyword_safety_never_alerts() -> None:
    engine = KeywordSafety()
    for text in ("a man has a gun", "fire fire", "he collapsed and is not breathing"):
        assert engine.assess(text).action in ("confirm", "none")


def test_calibration_puts_recall_first_within_the_prompt_budget() -> None:
    rng = np.random.default_rng(0)
    safe = rng.uniform(0.0, 0.3, 200)
    safe[:3] = [0.95, 0.6, 0.55]  # three look-alikes the model is unsure of
    danger = np.concatenate([rng.uniform(0.6, 1.0, 48), [0.2, 0.05]])
    scores = np.concatenate([danger, safe])
    truth = np.array([True] * 50 + [False] * 200)
    cued = np.zeros(250, dtype=bool)
    cued[49] = True  # the lowest danger line has a cue word
    alert, confirm, floor = calibrate(scores, cued, truth)
    asked = (scores >= confirm) | (cued & (scores >= floor))
    assert asked[truth].mean() >= 0.98  # both low danger lines are reached ...
    assert asked[~truth].mean() <= 0.03  # ... without asking many safe visitors
    assert alert >= 0.5 and (scores[~truth] >= alert).sum() <= 1  # at most 0.5 % alerts


# --- acts ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "act"), [
    ("yes please", "affirm"), ("yeah go ahead", "affirm"), ("no thanks", "deny"),
    ("no, we're fine", "deny"), ("No, it is fine.", "deny"), ("it's okay", "deny"),
    ("never mind", "never_mind"), ("the second one", "choice:2"),
    ("can you say that again slowly", "repeat_slow"), ("no I meant Northgate", "correction"),
    ("where's the toilet and when is the last train", "second_question"),
])
def test_acts(text: str, act: str) -> None:
    assert act in acts.detect(text)


def test_a_plain_request_has_no_act() -> None:
    assert acts.detect("how do i get to the zoo") == []
    assert acts.split_questions("where is the toilet") == ["where is the toilet"]


# --- the dialogue's danger paths -----------------------------------------------------------

def test_alert_calls_staff_once_with_safe_instructions(pack: SitePack) -> None:
    dialog, events, _ = make_dialog(pack, {"there's an unattended bag":
                                           Safety("alert", "suspicious_item", 0.97)})
    turn = dialog.turn("there's an unattended bag")
    assert turn.nlu.intent == "emergency" and turn.events == ["emergency"]
    assert [(e.kind, e.category, e.reason) for e in events] == [
        ("emergency", "suspicious_item", "model")]
    assert "don't touch it" in turn.answer.text and "hand" not in turn.answer.text


@pytest.mark.parametrize(("answer", "alerted"), [("yes", True), ("hmm what", True),
                                                 ("no", False), ("never mind", False)])
def test_the_danger_question_escalates_unless_the_answer_is_no(
        pack: SitePack, answer: str, alerted: bool) -> None:
    dialog, events, _ = make_dialog(pack, {"socorro": Safety("confirm", "cry_for_help", 0.5,
                                                             "socorro")})
    asked = dialog.turn("socorro")
    assert asked.answer.source == "safety:confirm" and not events
    dialog.turn(answer)
    assert bool(events) is alerted
    # after an alert the kiosk waits for the visitor's "no"/"yes" to it, and only then
    assert (dialog.pending.kind if dialog.pending else None) == (
        "after_alert" if alerted else None)


@pytest.mark.parametrize(("answer", "source", "says"), [
    ("no", "dialog:alert-stays", "still coming"),
    ("no, it is fine", "dialog:alert-stays", "still coming"),
    ("never mind", "dialog:alert-stays", "still coming"),
    ("yes", "dialog:alert-coming", "on their way")])
def test_a_no_or_yes_after_an_alert_answers_the_alert_and_calls_nobody_off(
        pack: SitePack, answer: str, source: str, says: str) -> None:
    dialog, events, _ = make_dialog(pack, {"a man collapsed": Safety("alert", "medical", 0.97)})
    alert = dialog.turn("a man collapsed")
    turn = dialog.turn(answer)
    assert turn.answer.source == source and says in turn.answer.text
    assert turn.answer.text != alert.answer.text  # not the alert replayed at the visitor
    assert [e.kind for e in events] == ["emergency"]  # one call; nothing stood down
    assert dialog.pending is None
    assert dialog.turn("where is the toilet").nlu.intent == "find_toilet"


def test_a_new_danger_right_after_an_alert_alerts_again(pack: SitePack) -> None:
    dialog, events, _ = make_dialog(pack, {"a man collapsed": Safety("alert", "medical", 0.97),
                                           "no, there is smoke": Safety("alert", "fire_smoke",
                                                                        0.95)})
    dialog.turn("a man collapsed")
    turn = dialog.turn("no, there is smoke")  # leads with "no": still a new alarm
    assert turn.answer.source == "safety:alert/fire_smoke"
    assert [(e.kind, e.category) for e in events] == [("emergency", "medical"),
                                                       ("emergency", "fire_smoke")]


def test_a_bare_no_to_nothing_asked_is_taken_as_declined(pack: SitePack) -> None:
    dialog, events, _ = make_dialog(pack)
    dialog.turn("where is the toilet")
    turn = dialog.turn("no")
    assert turn.answer.source == "dialog:declined" and not events
    assert dialog.turn("No, it is fine.").answer.source == "dialog:declined"
    # leads with "no" but is not an answer to anything: understood as said
    assert dialog.turn("no wifi").answer.source != "dialog:declined"


def test_silence_escalates_once(pack: SitePack) -> None:
    dialog, events, clock = make_dialog(pack, {"hilfe": Safety("confirm", "cry_for_help", 0.5)})
    dialog.turn("hilfe")
    clock.now += dialog.confirm_timeout_s - 1
    assert dialog.tick() is None
    clock.now += 1
    turn = dialog.tick()
    assert turn is not None and turn.answer.source == "safety:alert/cry_for_help"
    assert [e.reason for e in events] == ["no-answer"] and dialog.tick() is None


def test_an_offer_of_staff_declined_calls_nobody(pack: SitePack) -> None:
    dialog, events, _ = make_dialog(pack)
    offer = dialog.turn("what is the capital of peru")
    assert offer.answer.source.startswith("template:out_of_scope")
    assert "staff" in offer.answer.text and " Don't worry" not in offer.answer.text
    dialog.turn("no thanks")
    assert not events
    dialog.turn("what is the meaning of life")
    dialog.turn("yes please")
    assert [e.kind for e in events] == ["help_human"]


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "why"), [
    (b"", "empty"), (b"   ", "empty"), (b"\xff\xfe\x00\x01", "UTF-8"),
    ("x" * 10_240, "too long"), ("hello\x00\x07world", "binary")])
def test_bad_input_is_named(raw: bytes | str, why: str) -> None:
    text, reason = check_line(raw)
    assert text == "" and why in reason


def test_chat_reports_bad_lines_and_goes_on(pack: SitePack) -> None:
    dialog, _, _ = make_dialog(pack)
    chat = Chat(dialog, as_json=True)
    inp = io.BytesIO(b"hello\n\n\xff\xfe bad\n" + b"y" * 10_240 + b"\nwhere are the toilets\n")
    out, err = io.StringIO(), io.StringIO()
    assert chat.run(inp, out, err) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["intent"] for r in rows] == ["greeting", "find_toilet"]
    assert [line.split(": ", 2)[1] for line in err.getvalue().splitlines()] == [
        "line 2", "line 3", "line 4"]


def test_understand_stdin_one_line_per_bad_input() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "appliance.cli.nlu", "understand", "-", "--json",
         "--engine", "keyword"],
        input=b"where is the loo\n\n\xc3\x28 broken utf8\n" + b"z" * 10_240 + b"\nsocorro\n",
        capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["text"] for r in rows] == ["where is the loo", "socorro"]
    assert rows[1]["safety"]["action"] == "confirm" and "acts" in rows[0]
    skipped = [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("kiosk: line")]
    assert [ln.split(": ")[1] for ln in skipped] == ["line 2", "line 3", "line 4"]


def test_a_correction_redoes_the_last_request_with_the_new_place(pack: SitePack) -> None:
    dialog, _, _ = make_dialog(pack)
    first = dialog.turn("how much is a ticket to hillcrest")
    fixed = dialog.turn("no sorry, I meant northgate")
    assert "correction" in fixed.nlu.acts
    assert fixed.nlu.intent == first.nlu.intent and fixed.nlu.slots["station"] == "northgate"


def test_the_intent_head_alone_raises_no_alarm_it_offers_staff(pack: SitePack) -> None:
    dialog, events, _ = make_dialog(pack)  # the safety engine says none to everything
    turn = dialog.turn("there's been an accident call an ambulance")
    assert turn.nlu.intent == "emergency" and not events
    assert turn.answer.source == "dialog:offer-staff" and "alerting" not in turn.answer.text
    dialog.turn("yes please")
    assert [e.kind for e in events] == ["help_human"]
