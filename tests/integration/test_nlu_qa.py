"""The encoder NLU, the site QA and the dialogue on the real MiniLM encoder (INT8)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from appliance.behavior.clarify import Clarifier
from appliance.behavior.dialog import Dialog
from appliance.engines.nlu.base import VoiceFeatures
from appliance.engines.nlu.encoder_nlu import EncoderNlu
from appliance.engines.nlu.sentence import HashingEncoder, load_encoder
from appliance.engines.qa.events import KioskEvent
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.base import SafetyEngine
from appliance.engines.safety.factory import make_safety
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


@pytest.fixture(scope="module")
def nlu(pack: SitePack, tmp_path_factory: pytest.TempPathFactory) -> EncoderNlu:
    cache = tmp_path_factory.mktemp("nlu-cache")
    return EncoderNlu.for_pack(pack, "int8", cache_dir=cache)


@pytest.fixture(scope="module")
def safety(pack: SitePack, nlu: EncoderNlu,
           tmp_path_factory: pytest.TempPathFactory) -> SafetyEngine:
    return make_safety(pack, nlu, cache_dir=tmp_path_factory.mktemp("safety-cache"))


@pytest.fixture
def events() -> list[KioskEvent]:
    return []


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dialog(pack: SitePack, nlu: EncoderNlu, safety: SafetyEngine, events: list[KioskEvent],
           clock: Clock) -> Dialog:
    return Dialog(pack, nlu, SiteQa(pack, nlu.encoder, on_event=events.append), safety,
                  clock=clock)


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("how do i get to the zoo", "route_planning", {"station": "zoo"}),
    ("whens the next trane on the red line", "next_train", {"line": "l1"}),
    ("where are the restrooms", "find_toilet", {}),
    ("which exit for the taxi rank", "find_exit", {"exit": "d"}),
    ("can i speak to a real person", "help_human", {}),
    ("what is the capital of peru", "out_of_scope", {}),
])
def test_intents_and_slots(nlu: EncoderNlu, text: str, intent: str,
                           slots: dict[str, str]) -> None:
    r = nlu.understand(text)
    assert (r.intent, r.slots) == (intent, slots)


def test_emotion_uses_voice(nlu: EncoderNlu) -> None:
    text = "the machine took my money again"
    loud = nlu.understand(text, VoiceFeatures(-8.0, 250.0, 4.0)).emotion
    flat = nlu.understand(text, VoiceFeatures(-40.0, 110.0, 1.2)).emotion
    assert loud.label == "frustrated"
    assert loud.arousal > flat.arousal
    assert nlu.understand("i'm so worried i'll miss my train").emotion.label == "anxious"


def test_heads_are_cached(pack: SitePack, nlu: EncoderNlu, tmp_path: Path) -> None:
    first = EncoderNlu.for_pack(pack, "int8", encoder=nlu.encoder, cache_dir=tmp_path)
    assert list(tmp_path.glob("*.npz"))
    again = EncoderNlu.for_pack(pack, "int8", encoder=nlu.encoder, cache_dir=tmp_path)
    assert again.heads.threshold == first.heads.threshold
    assert (again.heads.train_x == first.heads.train_x).all()


def test_answers_carry_sources(dialog: Dialog) -> None:
    turn = dialog.turn("when is the next train to northgate")
    assert turn.answer.source == "live:departures" and "platform 1" in turn.answer.text
    turn = dialog.turn("how can i connect my phone to the wifi")
    assert turn.answer.source == "faq:wifi-connect"
    turn = dialog.turn("are there delays on the green line")
    assert turn.answer.source == "live:notices" and "signal fault" in turn.answer.text


def test_follow_up_and_repeat(dialog: Dialog) -> None:
    first = dialog.turn("how do i get to the zoo")
    assert first.answer.source == "network:route" and "Line 4" in first.answer.text
    fare = dialog.turn("and how much is it")
    assert fare.nlu.intent == "fare_inquiry" and fare.nlu.slots["station"] == "zoo"
    assert "pounds" in fare.answer.text
    again = dialog.turn("sorry can you say that again")
    assert again.answer.text == fare.answer.text


def test_unknown_says_so_and_staff_events(dialog: Dialog, events: list[KioskEvent]) -> None:
    oos = dialog.turn("can you book me a table at an italian restaurant")
    assert "staff" in oos.answer.text
    dialog.turn("get me a member of staff please")
    fire = dialog.turn("there's a fire near the gates")
    assert fire.nlu.safety.action in ("confirm", "alert")  # alert, or ask first: never none
    if fire.nlu.safety.action == "confirm":
        fire = dialog.turn("yes")
    assert [e.kind for e in events] == ["help_human", "emergency"]
    assert events[1].priority == "urgent" and events[1].category == "fire_smoke"
    assert fire.nlu.intent == "emergency" and "smoke" in fire.answer.text


@pytest.mark.parametrize("text", [
    "where is the fire exit", "where's the police station",
    "i fell asleep on the train and went past my station", "my knees hurt, where is the lift",
    "i'm dying for a coffee", "can you help me find the toilet"])
def test_station_words_raise_no_alarm(dialog: Dialog, events: list[KioskEvent],
                                      text: str) -> None:
    turn = dialog.turn(text)
    assert turn.nlu.safety.action != "alert" and not events


@pytest.mark.parametrize(("text", "category"), [
    ("there's a man waving a knife at the barriers", "threat_violence"),
    ("my husband just collapsed and he won't wake up", "medical"),
    ("a woman fell down onto the tracks", "trapped_or_track"),
    ("someone left a rucksack by the gates and ran off", "suspicious_item"),
])
def test_clear_danger_calls_staff_at_once(dialog: Dialog, events: list[KioskEvent], text: str,
                                          category: str) -> None:
    turn = dialog.turn(text)
    assert turn.nlu.safety.action == "alert" and turn.nlu.safety.category == category
    assert [e.kind for e in events] == ["emergency"] and turn.events == ["emergency"]
    assert "calling station staff" in turn.answer.text


def test_a_cry_in_another_language_asks_then_yes_calls_staff(
        dialog: Dialog, events: list[KioskEvent]) -> None:
    asked = dialog.turn("socorro!")
    assert asked.nlu.safety.action == "confirm" and "danger" in asked.answer.text
    assert not events
    dialog.turn("yes")
    assert [(e.kind, e.reason) for e in events] == [("emergency", "confirmed")]


def test_no_to_the_danger_question_returns_to_normal(dialog: Dialog,
                                                      events: list[KioskEvent]) -> None:
    dialog.turn("hilfe")
    back = dialog.turn("no, we're fine")
    assert "safe" in back.answer.text and not events and dialog.pending is None
    assert dialog.turn("where are the toilets").nlu.intent == "find_toilet"


def test_silence_after_the_danger_question_alerts(dialog: Dialog, events: list[KioskEvent],
                                                  clock: Clock) -> None:
    dialog.turn("au secours")
    assert dialog.tick() is None  # not yet
    clock.now += dialog.confirm_timeout_s
    turn = dialog.tick()
    assert turn is not None and turn.events == ["emergency"]
    assert [(e.kind, e.reason) for e in events] == [("emergency", "no-answer")]
    assert dialog.tick() is None  # once


def test_an_accepted_offer_of_staff_calls_staff(dialog: Dialog,
                                                events: list[KioskEvent]) -> None:
    offer = dialog.turn("can you recommend a good italian restaurant")
    assert "staff" in offer.answer.text and dialog.pending is not None
    dialog.turn("yes please")
    assert [e.kind for e in events] == ["help_human"]


@pytest.mark.parametrize("exit_id", ["a", "b", "e"])
def test_where_is_an_exit_answers_that_exit(dialog: Dialog, pack: SitePack,
                                            exit_id: str) -> None:
    # "Where is Exit A?" is close in meaning to the FAQ about Exit E and the hotels: the
    # FAQ may answer only when it names the exit asked for
    turn = dialog.turn(f"Where is Exit {exit_id.upper()}?")
    assert turn.nlu.slots.get("exit") == exit_id
    assert f"Exit {exit_id.upper()}" in turn.answer.text
    assert not any(f"Exit {o.upper()}" in turn.answer.text.split(".")[0]
                   for o in "abcdef" if o != exit_id)


def test_an_exit_for_a_place_the_site_does_not_know_says_so(dialog: Dialog) -> None:
    turn = dialog.turn("which exit for the cathedral")
    assert turn.answer.source == "dialog:unknown-landmark"
    assert "Cathedral" in turn.answer.text and "Exit F" in turn.answer.text
    assert dialog.pending is None  # nothing offered: a "yes" next calls nobody
    known = dialog.turn("which exit for the hotels")  # a place it knows: its own answer
    assert "Exit E" in known.answer.text and known.answer.source != "dialog:unknown-landmark"


@pytest.mark.parametrize("text", ["Where is the Customer Service Centre?",
                                  "where's customer service"])
def test_where_is_customer_service_says_where_and_pages_nobody(
        dialog: Dialog, events: list[KioskEvent], text: str) -> None:
    turn = dialog.turn(text)
    assert "Exit B" in turn.answer.text and turn.answer.source.startswith("faq:")
    assert not events and dialog.pending is not None  # staff offered, not called
    dialog.turn("yes please")
    assert [e.kind for e in events] == ["help_human"]


def test_unknown_and_misspelt_places_get_a_question(dialog: Dialog) -> None:
    london = dialog.turn("how do i get to london")
    assert "don't know a stop called London" in london.answer.text
    assert london.answer.source == "dialog:clarify"
    dialog.reset()
    where = dialog.turn("how do i get there")
    assert where.answer.source == "dialog:clarify"
    route = dialog.turn("old town")
    assert route.answer.source == "network:route" and "Old Town" in route.answer.text


@pytest.mark.parametrize("text", ["can my son ride for free", "is there a ticket for kids",
                                  "is it cheaper for students"])
def test_what_a_ticket_is_for_is_no_unknown_stop(dialog: Dialog, text: str) -> None:
    turn = dialog.turn(text)
    assert "know a stop called" not in turn.answer.text, turn.answer.text
    assert Clarifier(dialog.pack).unknown_place(text) == ""


@pytest.mark.parametrize("text", ["which exit for the hospital?",
                                  "which exit do I take for the city hospital"])
def test_an_exit_for_a_place_at_another_stop_gets_the_way_there(dialog: Dialog,
                                                                 text: str) -> None:
    turn = dialog.turn(text)
    assert turn.answer.source == "network:route"
    assert turn.answer.text.startswith("To get to Medical Centre")
    assert dialog.pending is None  # no offer of staff left from the answer set aside


@pytest.mark.parametrize(("text", "source"), [("which exit for the mall", "faq:exits-mall"),
                                              ("where is the exit", "faq:exits-way-out")])
def test_an_exit_of_this_station_is_still_named(dialog: Dialog, text: str,
                                                source: str) -> None:
    assert dialog.turn(text).answer.source == source


def test_an_exit_for_another_stop_after_an_exit_answer_is_not_that_exit(
        dialog: Dialog) -> None:
    # the exit of the last answer (the mall's) is not carried over a place named now
    dialog.turn("which exit for the mall")
    turn = dialog.turn("which exit for the hospital?")
    assert turn.answer.source == "network:route", turn.answer.text
    assert turn.answer.text.startswith("To get to Medical Centre")


@pytest.mark.parametrize("before", ["", "which exit for the mall"])
@pytest.mark.parametrize("text", ["Which exit for Central Square?",
                                  "which exit do I take for central square"])
def test_an_exit_for_this_very_station_says_so_and_gives_the_way_out(
        dialog: Dialog, before: str, text: str) -> None:
    # the kiosk stands at Central Square: no exit leads "to" it
    if before:
        dialog.turn(before)
    turn = dialog.turn(text)
    assert turn.answer.text.startswith("You're already at Central Square."), turn.answer.text
    assert turn.answer.source == "faq:exits-way-out"
    assert "Exit C" not in turn.answer.text


def test_the_exits_of_this_station_are_not_a_way_to_it(dialog: Dialog) -> None:
    turn = dialog.turn("what exits does this station have")
    assert turn.answer.source == "faq:exits-list" and "already" not in turn.answer.text


@pytest.mark.parametrize("text", ["How much for two adults", "how much is it for two adults?",
                                  "price for 2 adults"])
def test_a_fare_for_adults_is_the_adult_fare(dialog: Dialog, text: str) -> None:
    # not the concession answer ("... pay half the adult fare"), which was only the
    # nearest FAQ sentence of the shape "what does it cost for <someone>"
    turn = dialog.turn(text)
    assert turn.answer.source == "network:fares", turn.answer.text
    assert "adult single" in turn.answer.text.lower() and "2 pounds 20" in turn.answer.text
    assert "half" not in turn.answer.text
    there = dialog.turn("the zoo")  # the answer asked where to: the fare there
    assert there.answer.source == "network:fares"
    assert there.answer.text.startswith("A single ticket to Zoo costs 2 pounds 90")


@pytest.mark.parametrize("text", ["adult fare", "what is the adult fare?", "adult fare please"])
def test_the_adult_fare_is_not_the_concession_answer(dialog: Dialog, text: str) -> None:
    # the concession FAQ's answer says "half the adult fare": the adult there is only what
    # the concession is half of, so it does not make that entry the answer about adults
    turn = dialog.turn(text)
    assert turn.answer.source == "network:fares", turn.answer.text
    assert "adult single" in turn.answer.text.lower() and "half" not in turn.answer.text


@pytest.mark.parametrize(("text", "source"), [
    ("is there a discount for students", "faq:fares-concession"),
    ("what does it cost for children", "faq:fares-concession"),
])
def test_the_concession_fare_is_still_the_concession_answer(dialog: Dialog, text: str,
                                                            source: str) -> None:
    assert dialog.turn(text).answer.source == source


@pytest.mark.parametrize(("text", "language", "said"), [
    ("How much for a child to the zoo?", "", "A child single to Zoo costs 1 pound 45"),
    ("how much is it for a student to Old Town", "",
     "A student single to Old Town costs 1 pound 10"),
    ("how much for a pensioner to the zoo?", "", "A senior single to Zoo costs 1 pound 45"),
    ("¿Cuánto cuesta para un niño al zoo?", "es",
     "Un billete sencillo reducido a Zoo cuesta 1 libra con 45"),
])
def test_a_fare_for_a_child_to_a_station_is_the_concession_fare_there(
        dialog: Dialog, text: str, language: str, said: str) -> None:
    # the pack's concession_multiplier (0.5) of the adult single there (2 pounds 90 to the
    # zoo), said as a concession: not the adult single that ignored who it is for
    turn = dialog.turn(text, language=language or None)
    assert turn.answer.source == "network:fares", turn.answer.text
    assert turn.answer.text.startswith(said), turn.answer.text


@pytest.mark.parametrize(("text", "said"), [
    ("¿Cuánto cuesta para un niño al zoo?",
     "Un billete sencillo reducido a Zoo cuesta 1 libra con 45, la mitad de la tarifa de "
     "adulto."),
    ("¿Cuánto cuesta ir al zoo?",
     "Un billete sencillo a Zoo cuesta 2 libras con 90, o 2 libras con 32 con la HarbourCard."),
    ("¿Cuánto cuesta un billete para dos adultos?",
     "Un billete sencillo de adulto cuesta desde 2 libras con 20 dentro de la zona 1, y el "
     "bono diario cuesta 8 libras con 50. ¿Adónde va?"),
    ("¿cuánto cuesta el week pass?", "El bono de 7 días cuesta 32 libras."),
    ("¿cuánto cuesta el bono diario?", "El bono diario cuesta 8 libras con 50."),
    ("Quiero comprar un billete para el zoo",
     "cuesta 2 libras con 90, o 2 libras con 32 con la HarbourCard."),
])
def test_a_spanish_fare_is_said_in_spanish_money(dialog: Dialog, text: str, said: str) -> None:
    # money in the answer's language, as the pack's Spanish FAQ says it ("2 libras con
    # 20"): not "1 pound 45" in a Spanish sentence
    turn = dialog.turn(text, language="es")
    assert turn.answer.source == "network:fares", turn.answer.text
    assert said in turn.answer.text, turn.answer.text
    assert "pound" not in turn.answer.text, turn.answer.text


def test_a_spanish_fare_said_by_an_english_template_keeps_english_money(
        pack: SitePack, nlu: EncoderNlu, safety: SafetyEngine) -> None:
    # a translation without the case: the sentence is the first language's, and so is its
    # money (not "A child single to Zoo costs 1 libra con 45")
    es = pack.translations["es"]
    fares = {k: v for k, v in es.templates["fare_inquiry"].items() if k != "concession"}
    bare_es = replace(es, templates={**es.templates, "fare_inquiry": fares})
    bare = replace(pack, translations={**pack.translations, "es": bare_es})
    dialog = Dialog(bare, nlu, SiteQa(bare, nlu.encoder), safety)
    turn = dialog.turn("¿Cuánto cuesta para un niño al zoo?", language="es")
    assert turn.answer.text.startswith("A child single to Zoo costs 1 pound 45, half the "
                                       "adult fare"), turn.answer.text


@pytest.mark.parametrize("text", ["how much for an adult to the zoo?", "how much to the zoo?"])
def test_an_adult_fare_to_a_station_is_still_the_single(dialog: Dialog, text: str) -> None:
    turn = dialog.turn(text)
    assert turn.answer.text.startswith("A single ticket to Zoo costs 2 pounds 90"), \
        turn.answer.text


def _dialog_without_fare_case(pack: SitePack, nlu: EncoderNlu, safety: SafetyEngine,
                              case: str) -> Dialog:
    """A dialogue over ``pack`` without its own ``fare_inquiry.<case>`` template."""
    fares = {k: v for k, v in pack.templates["fare_inquiry"].items() if k != case}
    bare = replace(pack, templates={**pack.templates, "fare_inquiry": fares})
    return Dialog(bare, nlu, SiteQa(bare, nlu.encoder), safety)


def test_a_pack_without_its_own_concession_words_says_the_built_in_one(
        pack: SitePack, nlu: EncoderNlu, safety: SafetyEngine) -> None:
    dialog = _dialog_without_fare_case(pack, nlu, safety, "concession")
    turn = dialog.turn("How much for a child to the zoo?")
    assert turn.answer.text == ("A child single to Zoo costs 1 pound 45; an adult single is "
                                "2 pounds 90."), turn.answer.text


def test_a_pack_without_its_own_fare_words_says_the_built_in_adult_fare(
        pack: SitePack, nlu: EncoderNlu, safety: SafetyEngine) -> None:
    # the built-in fare_inquiry.no_station says what the demo pack's template says: the
    # adult single from here, and asks where to (not "Single tickets start at ...")
    dialog = _dialog_without_fare_case(pack, nlu, safety, "no_station")
    turn = dialog.turn("how much for two adults")
    assert turn.answer.source == "network:fares", turn.answer.text
    assert turn.answer.text == ("An adult single from here starts at 2 pounds 20, and a day "
                                "pass is 8 pounds 50. Where are you going?")
    assert dialog.turn("the zoo").answer.text.startswith("A single ticket to Zoo costs")


def test_a_route_question_after_where_are_you_going_gets_the_route(dialog: Dialog) -> None:
    dialog.turn("how much for two adults")
    turn = dialog.turn("how do I get to Old Town?")  # a question of its own, not the answer
    assert turn.answer.source == "network:route"
    assert turn.answer.text.startswith("To get to Old Town")


@pytest.mark.parametrize(("text", "language", "said"), [
    ("how do I get to Old Town?", "", "That's 1 stop, about 2 minutes."),
    ("how do I get to Westfield?", "", "That's 2 stops, about 4 minutes."),
    ("how do I get to the zoo?", "", "That's 4 stops, about 12 minutes."),
    ("¿Cómo llego a Old Town?", "es", "Es 1 parada, unos 2 minutos."),
    ("¿Cómo llego a Westfield?", "es", "Son 2 paradas, unos 4 minutos."),
])
def test_a_route_counts_its_stops_in_words_that_agree(dialog: Dialog, text: str,
                                                      language: str, said: str) -> None:
    # not "That's 1 stops" nor "Son 1 paradas": the templates' plural-aware count
    turn = dialog.turn(text, language=language or None)
    assert turn.answer.source == "network:route"
    assert said in turn.answer.text, turn.answer.text


def test_a_spanish_route_with_a_change_of_line_is_said_in_spanish(dialog: Dialog) -> None:
    # route_planning.default (and its legs, and the disruption note) were English only
    turn = dialog.turn("¿Cómo llego al zoo?", language="es")
    assert turn.answer.source == "network:route"
    assert turn.answer.text.startswith(
        "Para ir a Zoo, tome la Línea 3 (línea verde) en dirección Greenfield hasta Union "
        "Station, y luego cambie a la Línea 4 (línea amarilla) en dirección Zoo. Son 4 paradas, "
        "unos 12 minutos. Aviso: "), turn.answer.text
    english = dialog.turn("how do I get to the zoo?")  # unchanged in English
    assert english.answer.text.startswith(
        "To get to Zoo, take Line 3 (Green Line) towards Greenfield as far as Union Station, "
        "then change to Line 4 (Yellow Line) towards Zoo. That's 4 stops, about 12 minutes. "
        "Note: "), english.answer.text


@pytest.mark.parametrize("text", ["¿cómo llego al zoológico?", "¿cómo llego al aeropuerto?"])
def test_a_spanish_way_to_a_place_named_in_spanish_is_the_route(dialog: Dialog,
                                                                text: str) -> None:
    # "zoológico" is the Zoo's Spanish word (lang/es.yaml's slots:); the question was read
    # as a fare ("Un billete sencillo a Zoo cuesta 2 libras con 90...") until route_planning
    # had more Spanish "cómo llego a/al ..." lines than the one to the airport
    turn = dialog.turn(text, language="es")
    assert turn.nlu.intent == "route_planning", (turn.nlu.intent, turn.answer.text)
    assert turn.answer.source == "network:route", turn.answer.text
    assert turn.answer.text.startswith("Para ir a "), turn.answer.text


def test_a_child_return_is_the_adult_return_and_the_child_single(dialog: Dialog) -> None:
    turn = dialog.turn("how much is a child return to the zoo")
    assert turn.answer.source == "network:fares", turn.answer.text
    assert turn.answer.text == ("A return ticket to Zoo costs 5 pounds 51; the child fare, half "
                                "the adult fare, is for single tickets: a child single to Zoo "
                                "costs 1 pound 45."), turn.answer.text


def test_the_visitor_asking_the_time_is_told_it(dialog: Dialog) -> None:
    turn = dialog.turn("excuse me, what time is it?")
    assert turn.answer.source == "faq:time-now"
    assert re.fullmatch(r"It's \d\d:\d\d\.", turn.answer.text), turn.answer.text


def test_two_questions_both_answered_and_slow_repeat(dialog: Dialog) -> None:
    both = dialog.turn("where's the toilet and when is the last train")
    assert "second_question" in both.nlu.acts and "+" in both.answer.source
    slow = dialog.turn("can you say that again more slowly")
    assert slow.answer.text == both.answer.text and slow.prosody.length_scale > 1.2


def test_anxious_visitor_gets_calm_slow_reply(dialog: Dialog) -> None:
    calm = dialog.turn("i'm really worried i'll miss my flight how do i get to the airport")
    dialog.reset()
    plain = dialog.turn("how do i get to the airport")
    assert calm.answer.style == "calm" and plain.answer.style == "neutral"
    assert calm.prosody.length_scale > plain.prosody.length_scale


def test_hashing_encoder_fallback_works(pack: SitePack, tmp_path: Path) -> None:
    nlu = EncoderNlu.for_pack(pack, encoder=HashingEncoder(), cache_dir=tmp_path)
    assert nlu.understand("where is the toilet").intent == "find_toilet"


@pytest.fixture
def kiosk_root(tmp_path: Path) -> Iterator[Path]:
    old = os.environ.get("KIOSK_ROOT")
    os.environ["KIOSK_ROOT"] = str(tmp_path)
    yield tmp_path
    if old is None:
        os.environ.pop("KIOSK_ROOT", None)
    else:
        os.environ["KIOSK_ROOT"] = old


def test_cli_understand_and_ask(kiosk_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from appliance.cli.nlu import main

    assert main(["understand", "how much is a ticket to seaside", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["intent"] == "fare_inquiry" and row["slots"] == {"station": "seaside"}
    assert set(row["emotion"]) == {"label", "valence", "arousal"}
    assert main(["ask", "where is the lift", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["source"].startswith("faq:elevator") and "Exit D" in row["reply"]


def test_bench_quick_subset(kiosk_root: Path) -> None:
    from appliance.bench.nlu import run

    result = run(quick=True)
    for engine in ("encoder_fp32", "encoder_int8", "keyword"):
        r = result[engine]
        assert 0 <= r["intent_accuracy_pct"] <= 100
        assert set(r["nlu_latency_ms"]) == {"p50", "p95"}
    assert result["eval_lines"] >= 50


def test_real_encoder_loads() -> None:
    vecs = load_encoder("fp32").encode(["hello"])
    assert vecs.shape == (1, 384)
