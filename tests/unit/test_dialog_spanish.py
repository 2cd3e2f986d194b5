"""A Spanish-speaking visitor in danger is asked and answered in Spanish (issue 15 section 5):
the dialogue's fixed lines per language, the pack's ``dialog:`` table and Spanish acts
(no model: keyword safety cues, scripted safety verdicts and a rule-table NLU)."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from appliance.behavior import acts, lines
from appliance.behavior.chat import Chat
from appliance.behavior.clarify import Clarifier
from appliance.behavior.dialog import Dialog, Turn
from appliance.behavior.emergency import CONFIRM
from appliance.engines.nlu.base import NluResult, VoiceFeatures
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.nlu.sentence import SentenceEncoder
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.qa.base import DialogContext
from appliance.engines.qa.events import KioskEvent
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety import cues
from appliance.engines.safety.encoder import EncoderSafety, SafetyHead
from appliance.engines.safety.fake import FakeSafety
from appliance.errors import KioskError
from appliance.frames import Frame, Reply, Safety, Understanding
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.understanding_stage import APOLOGY, DialogProcessor
from appliance.sitepack import SitePack, bundled_sitepack_dir, check_sitepack, load_sitepack
from appliance.sitepack.model import Problem, Translation

ES = lines.BUILT_IN["es"]


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


def make_dialog(pack: SitePack, script: dict[str, Safety] | None = None,
                ) -> tuple[Dialog, list[KioskEvent]]:
    """A dialogue over keyword safety cues (``script`` None) or scripted verdicts."""
    events: list[KioskEvent] = []
    nlu = FakeNlu({"baño": "find_toilet", "toilet": "find_toilet"})
    safety = FakeSafety(script) if script is not None else None
    return Dialog(pack, nlu, SiteQa(pack, on_event=events.append), safety), events


# --- the danger question and its answers, in Spanish ----------------------------------------

@pytest.mark.parametrize("answer_language", ["es", "en"])
def test_a_spanish_cry_is_asked_in_spanish_and_si_calls_staff(
        pack: SitePack, answer_language: str) -> None:
    dialog, events = make_dialog(pack)  # the real keyword cues: 'socorro' asks first
    asked = dialog.turn("¡Socorro!", language="es")
    assert asked.answer.source == "safety:confirm" and not events
    assert asked.answer.text == ES["confirm"] and asked.nlu.language == "es"
    # a one-word "sí" misheard as English still answers the Spanish question in Spanish
    alert = dialog.turn("sí", language=answer_language)
    assert alert.events == ["emergency"]
    assert [(e.kind, e.reason) for e in events] == [("emergency", "confirmed")]
    assert alert.nlu.language == "es"
    assert alert.answer.text == f"{ES['calling']} {ES['safe.cry_for_help']}"


def test_no_to_the_spanish_question_returns_to_normal(pack: SitePack) -> None:
    dialog, events = make_dialog(pack)
    dialog.turn("socorro", language="es")
    stood = dialog.turn("no", language="es")
    assert not events and dialog.pending is None
    assert stood.answer.source == "dialog:stood-down" and stood.answer.text == ES["stood_down"]
    after = dialog.turn("¿dónde están los baños?", language="es")
    assert not events and not after.answer.source.startswith("safety")
    assert after.nlu.intent == "find_toilet" and after.nlu.language == "es"


@pytest.mark.parametrize(("text", "category", "instruction"), [
    ("hay un paquete abandonado en el andén", "suspicious_item", "no lo toque"),
    ("hay humo en el andén", "fire_smoke", "Aléjese del humo"),
    ("se ha caído alguien a las vías", "trapped_or_track", "Nunca baje a las vías"),
])
def test_the_safety_models_alert_gives_the_safe_instruction_in_spanish(
        pack: SitePack, text: str, category: str, instruction: str) -> None:
    dialog, events = make_dialog(pack, {text: Safety("alert", category, 0.97)})
    turn = dialog.turn(text, language="es")
    assert turn.events == ["emergency"] and [e.category for e in events] == [category]
    assert turn.answer.text.startswith(ES["calling"]) and instruction in turn.answer.text
    assert turn.nlu.language == "es"


def test_the_safety_models_doubt_is_asked_in_spanish_and_silence_alerts_in_spanish(
        pack: SitePack) -> None:
    text = "creo que ese hombre me está siguiendo"
    events: list[KioskEvent] = []
    now = [10.0]
    dialog = Dialog(pack, FakeNlu({}), SiteQa(pack, on_event=events.append),
                    FakeSafety({text: Safety("confirm", "harassment", 0.6)}),
                    clock=lambda: now[0])
    assert dialog.turn(text, language="es").answer.text == ES["confirm"]
    now[0] += dialog.confirm_timeout_s
    turn = dialog.tick()
    assert turn is not None and turn.nlu.language == "es"
    assert turn.answer.text == f"{ES['calling']} {ES['safe.harassment']}"
    assert [e.reason for e in events] == ["no-answer"]


def test_an_english_visitor_is_unchanged(pack: SitePack) -> None:
    dialog, events = make_dialog(pack)
    asked = dialog.turn("help!")
    assert asked.answer.text == CONFIRM and asked.nlu.language == "en"
    alert = dialog.turn("yes")
    assert alert.events == ["emergency"] and alert.answer.text.startswith("I'm calling station")
    assert [e.kind for e in events] == ["emergency"] and alert.nlu.language == "en"
    dialog2, events2 = make_dialog(pack)
    dialog2.turn("help!")
    assert dialog2.turn("no thanks").answer.source == "dialog:stood-down" and not events2


def test_the_offer_of_staff_and_never_mind_follow_the_language(pack: SitePack) -> None:
    dialog = Dialog(pack, KeywordNlu(pack), SiteQa(pack), FakeSafety())
    offer = dialog.turn("there is an emergency", language="es")
    assert offer.answer.source == "dialog:offer-staff" and offer.answer.text == ES["offer_staff"]
    assert dialog.turn("no gracias", language="es").answer.text == ES["declined"]
    assert dialog.turn("olvídalo", language="es").answer.text == ES["never_mind"]


def test_repitelo_repeats_the_last_answer_slower(pack: SitePack) -> None:
    dialog, _ = make_dialog(pack)
    first = dialog.turn("socorro", language="es")
    dialog.turn("no", language="es")
    again = dialog.turn("repítelo más despacio", language="es")
    assert again.answer.source == "dialog:repeat-slow" and again.answer.style == "slow"
    assert again.answer.text == ES["stood_down"] != first.answer.text


def test_the_station_question_is_spanish(pack: SitePack) -> None:
    clarifier = Clarifier(pack)
    nlu = NluResult("route_planning", 0.9, language="es")
    assert clarifier.question("cómo llego", nlu) == (ES["which_station"], [])
    network = clarifier.network_line("es")
    assert network.startswith("El metro tiene") and "{" not in network
    english = clarifier.question("how do I get to London", NluResult("route_planning", 0.9))
    assert english is not None and english[0].startswith("I don't know a stop called London.")



@pytest.mark.parametrize("text", ["¿Cómo llego a Londres?", "quiero ir a Narnia",
                                  "¿Hay un tren para Narnia?"])
@pytest.mark.parametrize("intent", ["route_planning", "out_of_scope", "smalltalk"])
def test_a_spanish_journey_to_an_unknown_place_names_it(pack: SitePack, text: str,
                                                          intent: str) -> None:
    asked = Clarifier(pack).question(text, NluResult(intent, 0.5, language="es"))
    assert asked is not None
    place = "Londres" if "Londres" in text else "Narnia"
    assert asked[0].startswith(f"No conozco ninguna parada llamada {place}.")


@pytest.mark.parametrize("text", ["¿Cómo llego al baño?", "quiero ir a casa",
                                  "¿dónde está la salida?"])
def test_a_spanish_everyday_place_is_no_unknown_stop(pack: SitePack, text: str) -> None:
    assert Clarifier(pack).unknown_place(text) == ""


# --- Spanish dialogue acts -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "act"), [
    ("sí", "affirm"), ("¡Sí!", "affirm"), ("claro", "affirm"), ("vale", "affirm"),
    ("por favor", "affirm"), ("sí, por favor", "affirm"), ("no", "deny"),
    ("No, gracias", "deny"), ("da igual", "never_mind"), ("olvídalo", "never_mind"),
    ("repítelo", "repeat_slow"), ("repítelo más despacio", "repeat_slow"),
    ("otra vez", "repeat_slow"), ("yes please", "affirm"), ("no thanks", "deny"),
    ("forget it", "never_mind"), ("say that again slowly", "repeat_slow")])
def test_acts_in_spanish_and_english(text: str, act: str) -> None:
    assert act in acts.detect(text)


@pytest.mark.parametrize("text", ["no sé", "no lo sé", "quiero ir otra vez al aeropuerto mañana"])
def test_unsure_or_a_request_is_no_act(text: str) -> None:
    assert acts.detect(text) == []


def test_no_se_to_the_danger_question_escalates(pack: SitePack) -> None:
    dialog, events = make_dialog(pack)
    dialog.turn("socorro", language="es")
    assert dialog.turn("no sé", language="es").events == ["emergency"] and events


# --- the pack's dialog: table ----------------------------------------------------------------

def _pack_with(tmp_path: Path, dialog_yaml: str) -> tuple[SitePack | None, list[Problem]]:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst, ignore=shutil.ignore_patterns("eval"))
    path = dst / "lang" / "es.yaml"
    path.write_text(path.read_text() + "\n" + dialog_yaml)
    return check_sitepack(dst)


def test_a_pack_dialog_line_overrides_the_built_in(tmp_path: Path) -> None:
    pack, problems = _pack_with(tmp_path, (
        "dialog:\n"
        "  confirm: \"¿Alguien está en peligro? Diga sí y aviso al personal.\"\n"
        "  unknown_stop: \"No hay ninguna parada {place} en esta red.\"\n"
        "  safe:\n"
        "    fire_smoke: \"Salga por la salida más cercana, lejos del humo.\"\n"))
    assert pack is not None, problems
    assert not [p for p in problems if p.file == "lang/es.yaml"]
    dialog, _ = make_dialog(pack, {"hay humo": Safety("alert", "fire_smoke", 0.97),
                                   "socorro": Safety("confirm", "cry_for_help", 0.5, "socorro")})
    assert dialog.turn("socorro", language="es").answer.text.startswith("¿Alguien está")
    dialog.reset()
    fire = dialog.turn("hay humo", language="es")
    assert fire.answer.text == f"{ES['calling']} Salga por la salida más cercana, lejos del humo."
    assert lines.line(pack, "es", "unknown_stop", place="Londres").startswith("No hay ninguna")
    assert lines.line(pack, "en", "confirm") == CONFIRM  # English is the built-in


def test_a_bad_dialog_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    pack, problems = _pack_with(tmp_path, (
        "dialog:\n"
        "  confirm: \"¿Hay alguien en peligro?\"\n"
        "  conform: \"typo\"\n"
        "  unknown_stop: \"No conozco {lugar}.\"\n"
        "  which_station: [a, list]\n"
        "  safe:\n"
        "    flood: \"Suba.\"\n"))
    assert pack is None
    found = {p.message.split(";")[0]: p.line for p in problems if p.file == "lang/es.yaml"}
    last = len((tmp_path / "pack" / "lang" / "es.yaml").read_text().splitlines())
    assert found == {
        "unknown dialogue line 'conform'": last - 4,
        "'unknown_stop' uses unknown placeholder(s) {lugar}": last - 3,
        "'which_station' must be text, got a list": last - 2,
        "safe instruction for unknown safety category 'flood'": last,
    }


def test_a_line_the_language_lacks_is_english_logged_once(
        pack: SitePack, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "_warned", set())
    fr = copy.copy(pack)
    fr.translations = {**pack.translations,
                       "fr": Translation("fr", dialog={"confirm": "Quelqu'un est en danger ?"})}
    with caplog.at_level(logging.WARNING, logger="appliance.behavior.lines"):
        assert lines.line(fr, "fr", "confirm") == "Quelqu'un est en danger ?"
        assert lines.line(fr, "fr", "stood_down") == lines.BUILT_IN["en"]["stood_down"]
        assert lines.line(fr, "fr", "stood_down") == lines.BUILT_IN["en"]["stood_down"]
    warned = [r for r in caplog.records if "'stood_down'" in r.getMessage()]
    assert len(warned) == 1
    # a language the pack does not speak is answered in the pack's own
    assert lines.line(pack, "de", "confirm") == CONFIRM


# --- the pipeline's reply carries the dialogue's language --------------------------------------

async def test_the_pipelines_reply_is_spanish_for_a_bare_si_and_for_the_silence_alert(
        pack: SitePack) -> None:
    dialog, events = make_dialog(pack)
    dialog.confirm_timeout_s = 0.05
    stage = DialogProcessor(dialog.qa, Conversation(), dialog)
    out: list[Frame] = []
    stage.observers.append(out.append)

    def heard(text: str, language: str, turn_id: int) -> Understanding:
        nlu = dialog.understand(text)
        return Understanding(text, nlu.intent, nlu.confidence, language=language,
                             safety=nlu.safety, acts=nlu.acts, turn_id=turn_id)

    try:
        await stage.process(heard("socorro", "es", 1))
        await stage.process(heard("sí", "en", 2))  # one word: language ID guessed English
        await stage.process(heard("socorro", "es", 3))
        await asyncio.wait_for(_until(lambda: len(events) == 2), 2.0)  # nobody answered
    finally:
        await stage.cleanup()
    replies = [f for f in out if isinstance(f, Reply)]
    assert [(r.text == ES["confirm"], r.language) for r in replies] == [
        (True, "es"), (False, "es"), (True, "es"), (False, "es")]
    assert [e.reason for e in events] == ["confirmed", "no-answer"]


async def _until(done: Callable[[], bool]) -> None:
    while not done():
        await asyncio.sleep(0.01)


def test_kiosk_chat_in_spanish_asks_calls_and_stands_down(pack: SitePack) -> None:
    chat: Chat
    dialog = Dialog(pack, FakeNlu({}), SiteQa(pack, on_event=lambda e: chat.calls.append(e)))
    chat = Chat(dialog, as_json=True, language="es")
    inp = io.BytesIO("socorro\nsí\n/new\nsocorro\nno\n".encode())
    out, err = io.StringIO(), io.StringIO()
    assert chat.run(inp, out, err) == 0 and not err.getvalue()
    rows = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    assert [(r["source"], r["language"], len(r["staff_called"])) for r in rows] == [
        ("safety:confirm", "es", 0), ("safety:alert/cry_for_help", "es", 1),
        ("safety:confirm", "es", 0), ("dialog:stood-down", "es", 0)]
    assert rows[0]["reply"] == ES["confirm"] and rows[3]["reply"] == ES["stood_down"]


# --- a danger named in Spanish keeps its category (so its safe instruction is said) ----------

@pytest.mark.parametrize(("text", "category"), [
    ("hay humo en el andén", "fire_smoke"), ("hay un paquete abandonado", "suspicious_item"),
    ("se ha caído alguien a las vías", "trapped_or_track"),
    ("alguien se ha desmayado", "medical"), ("socorro", ""), ("there is smoke", ""),
    ("¿se puede fumar aquí?", "")])
def test_a_spanish_danger_word_names_its_category(text: str, category: str) -> None:
    assert cues.foreign_category(text) == category
    if category:
        assert cues.cue_verdict(text).category == category


class _Head:
    """A safety head sure of danger whose category is the English encoder's guess."""

    alert, confirm, cue_floor = 0.5, 0.3, 0.2

    def score(self, q: np.ndarray) -> tuple[float, str]:
        return 0.9, "cry_for_help"


def test_the_encoders_alert_takes_the_spanish_cues_category() -> None:
    safety = EncoderSafety(cast(SafetyHead, _Head()), cast(SentenceEncoder, None))
    vec = np.zeros(4, dtype=np.float32)
    assert safety.assess("hay humo en el andén", vec) == Safety("alert", "fire_smoke", 0.9)
    assert safety.assess("ayúdeme por favor", vec) == Safety("alert", "cry_for_help", 0.9)


async def test_a_failed_answer_apologises_in_the_visitors_language(pack: SitePack) -> None:
    dialog, _ = make_dialog(pack)

    def broken(text: str, nlu: NluResult) -> Turn:
        raise KioskError("the answer engine is down", code="qa-failed")

    dialog.respond = broken  # type: ignore[method-assign]
    stage = DialogProcessor(dialog.qa, Conversation(), dialog)
    out: list[Frame] = []
    stage.observers.append(out.append)
    try:
        await stage.process(Understanding("¿dónde están los baños?", "find_toilet", 0.9,
                                          language="es", turn_id=1))
        await stage.process(Understanding("where are the toilets", "find_toilet", 0.9,
                                          turn_id=2))
    finally:
        await stage.cleanup()
    replies = [(f.text, f.source, f.language) for f in out if isinstance(f, Reply)]
    assert replies == [(ES["apology"], "fallback", "es"), (APOLOGY, "fallback", "en")]


# --- answers name tickets, lines and departures in Spanish (lang/es.yaml's slots and cases) ---

SAMPLE_CLOCK = 1_750_000_000.0 + 10 * 365 * 86400
"""Any time: the demo's feed is sample data, its departures as of its own time."""


def _answer(pack: SitePack, intent: str, language: str, **slots: str) -> str:
    qa = SiteQa(pack, clock=lambda: SAMPLE_CLOCK)
    return qa.answer("x", NluResult(intent, 0.9, dict(slots), language=language),
                     DialogContext()).text


class _SlotNlu(FakeNlu):
    """Keyword intents, and the slots the pack's extractor finds (every language's words)."""

    def __init__(self, pack: SitePack, rules: dict[str, str]) -> None:
        super().__init__(rules)
        self.extractor = SlotExtractor(pack)

    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        return replace(super().understand(text, voice), slots=self.extractor.extract(text))


def test_bono_diario_is_understood_and_priced_in_spanish(pack: SitePack) -> None:
    # 'bono diario' was no ticket_type: the FAQ's zone fares answered instead
    dialog = Dialog(pack, _SlotNlu(pack, {"cuesta": "fare_inquiry", "how much": "fare_inquiry"}),
                    SiteQa(pack))
    turn = dialog.turn("¿Cuánto cuesta el bono diario?", language="es")
    assert turn.nlu.slots == {"ticket_type": "day_pass"}
    assert (turn.answer.text, turn.answer.source) == ("El bono diario cuesta 8 libras con 50.",
                                                      "network:fares")
    english = Dialog(pack, dialog.nlu, SiteQa(pack)).turn("how much is a weekly pass")
    assert english.answer.text == "A 7-day pass costs 32 pounds."


@pytest.mark.parametrize(("intent", "slots", "spanish", "english"), [
    ("fare_inquiry", {"ticket_type": "week_pass"}, "El bono de 7 días cuesta 32 libras.",
     "A 7-day pass costs 32 pounds."),
    ("next_train", {},
     "Próximas salidas desde Central Square: Línea 3 hacia Southport ahora; Línea 2 hacia "
     "Hillcrest en 1 minuto; Línea 1 hacia Northgate en 2 minutos; Línea 1 hacia Airport "
     "Terminal en 3 minutos.",
     "Next departures from Central Square: Line 3 to Southport now; Line 2 to Hillcrest in 1 "
     "minute; Line 1 to Northgate in 2 minutes; Line 1 to Airport Terminal in 3 minutes."),
    ("next_train", {"line": "l1"},
     "El próximo tren de la Línea 1 (línea roja) hacia Northgate sale del andén 1 en 2 "
     "minutos, y el siguiente en 6 minutos.",
     "The next Line 1 (Red Line) train towards Northgate leaves from platform 1 in 2 minutes, "
     "and the one after in 6 minutes."),
    ("service_status", {"line": "l1"},
     "La Línea 1 (línea roja) funciona con normalidad en este momento.",
     "Line 1 (Red Line) is running normally at the moment."),
    ("route_planning", {"station": "westfield"},
     "Para ir a Westfield, tome la Línea 1 (línea roja) en dirección Airport Terminal. Son 2 "
     "paradas, unos 4 minutos.",
     "To get to Westfield, take Line 1 (Red Line) towards Airport Terminal. That's 2 stops, "
     "about 4 minutes."),
])
def test_spanish_answers_say_ticket_and_line_names_and_departures_in_spanish(
        pack: SitePack, intent: str, slots: dict[str, str], spanish: str, english: str) -> None:
    # were 'El 7-day pass', 'Line 3 to Southport now', 'de la Line 1 (Red Line)'; English
    # answers are said as before
    assert _answer(pack, intent, "es", **slots) == spanish
    assert _answer(pack, intent, "en", **slots) == english


def test_a_spanish_route_with_a_change_names_both_lines_in_spanish(pack: SitePack) -> None:
    said = _answer(pack, "route_planning", "es", station="zoo")
    assert said.startswith("Para ir a Zoo, tome la Línea 3 (línea verde) en dirección "
                           "Greenfield hasta Union Station, y luego cambie a la Línea 4 "
                           "(línea amarilla) en dirección Zoo."), said


def test_a_name_in_an_english_sentence_stays_english(pack: SitePack) -> None:
    # a translation without the case says the first language's sentence, with its names
    # (not "A bono diario costs 8 pounds 50"), as it keeps that sentence's money
    es = pack.translations["es"]
    fares = {k: v for k, v in es.templates["fare_inquiry"].items() if k != "ticket"}
    bare = replace(pack, translations={"es": replace(
        es, templates={**es.templates, "fare_inquiry": fares})})
    assert _answer(bare, "fare_inquiry", "es", ticket_type="day_pass") == \
        "A day pass costs 8 pounds 50."
