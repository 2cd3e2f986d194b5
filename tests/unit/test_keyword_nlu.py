"""The keyword NLU on real text: intents, slots (with typos), out-of-scope and emotion;
and the dialogue's answers without the encoder (the FAQ found by words)."""

from __future__ import annotations

import pytest

from appliance.behavior.dialog import Dialog
from appliance.engines.nlu.base import NluResult, VoiceFeatures
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.qa.base import DialogContext
from appliance.engines.qa.retrieval import FaqIndex
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.fake import FakeSafety
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


@pytest.fixture(scope="module")
def nlu(pack: SitePack) -> KeywordNlu:
    return KeywordNlu(pack)


@pytest.mark.parametrize(("text", "intent"), [
    ("Hello!", "greeting"),
    ("where is the restroom", "find_toilet"),
    ("how do i get to union stations", "route_planning"),
    ("wich exit for the taxis", "find_exit"),
    ("can u say that agian", "repeat"),
    ("someone collapsed please help", "emergency"),
    ("what's the weather tomorrow", "out_of_scope"),
])
def test_intents(nlu: KeywordNlu, text: str, intent: str) -> None:
    assert nlu.understand(text).intent == intent


@pytest.mark.parametrize(("text", "slots"), [
    ("how do i get to union stations", {"station": "union_station"}),
    ("next train on line two", {"line": "l2"}),
    ("which exit for the taxi rank", {"exit": "d"}),
    ("how do i get from old town to the zoo", {"origin": "old_town", "station": "zoo"}),
    ("botanical gardens please", {"station": "botanic_garden"}),
    ("how do i get to medical center", {"station": "medical_centre"}),
    ("what about hilcrest", {"station": "hillcrest"}),
    ("i need the bathroom", {}),
    ("which exit do i take for the zoo", {"station": "zoo"}),  # "exit do" is not Exit D
    ("which exit do i take", {}),
    ("exit d please", {"exit": "d"}),
])
def test_slots_normalised_against_pack(pack: SitePack, text: str, slots: dict[str, str]) -> None:
    assert SlotExtractor(pack).extract(text) == slots


def test_short_synonyms_need_exact_match(pack: SitePack) -> None:
    assert "line" not in SlotExtractor(pack).extract("i went to bed")


def test_emotion_from_text_voice_and_intent(nlu: KeywordNlu) -> None:
    calm = nlu.understand("where is the toilet").emotion
    assert calm.label == "neutral"
    angry = nlu.understand("this is ridiculous i want my money back").emotion
    assert angry.label == "frustrated" and angry.valence < -0.3
    loud = nlu.understand("this is ridiculous", VoiceFeatures(-8, 260, 4.0)).emotion
    quiet = nlu.understand("this is ridiculous", VoiceFeatures(-38, 110, 1.2)).emotion
    assert loud.arousal > quiet.arousal
    scared = nlu.understand("someone collapsed please help").emotion
    assert scared.label == "anxious"
    assert -1 <= scared.valence <= 1 and 0 <= scared.arousal <= 1


def keyword_dialog(pack: SitePack) -> Dialog:
    return Dialog(pack, KeywordNlu(pack), SiteQa(pack), FakeSafety())


@pytest.mark.parametrize("text", ["which exit for Central Square",
                                  "Which exit for Central Square?"])
def test_an_exit_for_this_very_station_gets_the_way_out_without_the_encoder(
        pack: SitePack, text: str) -> None:
    # "which exit for" is in every "which exit for <place>" question: the words that
    # letters alone matched best were the taxi rank's ("which exit for taxis")
    turn = keyword_dialog(pack).turn(text)
    assert turn.answer.source == "faq:exits-way-out", turn.answer.text
    assert turn.answer.text.startswith("You're already at Central Square. Go through the ticket")


@pytest.mark.parametrize(("text", "entry"), [
    ("where is the exit", "exits-way-out"),  # not "where is the fire exit"
    ("what exits does this station have", "exits-list"),
    ("which exit for the taxis", "exits-taxi"),
    ("is there a lift", "elevator-where"),  # not "is there a lift for prams"
])
def test_word_search_prefers_the_question_that_says_what_was_asked(
        pack: SitePack, text: str, entry: str) -> None:
    index = FaqIndex(pack.faq, None, implied=["Central Square", "this station"])
    assert index.search(text)[0].entry.id == entry


def test_every_faq_question_finds_its_own_entry_by_words(pack: SitePack) -> None:
    index = FaqIndex(pack.faq, None, implied=["Central Square", "this station"])
    lost = [(text, entry.id, index.search(text, entry.intent)[0].entry.id)
            for entry in pack.faq for text in entry.phrasings
            if index.search(text, entry.intent)[0].entry.id != entry.id]
    assert not lost


@pytest.mark.parametrize("text", ["how much is a child ticket to the zoo",
                                  "How much is a child ticket to the zoo?"])
def test_a_child_ticket_to_a_station_is_the_child_fare_there(pack: SitePack, text: str) -> None:
    # "child ticket" is the concession ticket_type; the child in it is the traveller too
    turn = keyword_dialog(pack).turn(text)
    assert turn.nlu.slots.get("traveller") == "child"
    assert turn.answer.source == "network:fares"
    assert turn.answer.text.startswith("A child single to Zoo costs 1 pound 45"), turn.answer.text


@pytest.mark.parametrize("text", ["what's the adult fare", "how much is the adult fare?",
                                  "What does an adult ticket cost"])
def test_a_ticket_purchase_asking_an_adult_fare_gets_the_adult_fare(
        pack: SitePack, text: str) -> None:
    # whatever the intent model reads ("ticket_purchase" here), a price asked for a
    # named traveller is the fare, not the FAQ nearest to buying (children's tickets)
    dialog = Dialog(pack, FakeNlu({"": "ticket_purchase"}), SiteQa(pack), FakeSafety())
    turn = dialog.turn(text)
    assert turn.nlu.intent == "fare_inquiry" and turn.nlu.slots == {"traveller": "adult"}
    assert turn.answer.source == "network:fares"
    assert turn.answer.text.startswith("An adult single starts at 2 pounds 20"), turn.answer.text
    assert dialog.pending is not None and dialog.pending.intent == "fare_inquiry"  # where to?


@pytest.mark.parametrize("text", ["do i need a ticket for my kid", "where can i buy a child ticket",
                                  "i want to buy an adult ticket"])
def test_buying_a_ticket_for_someone_is_still_buying_a_ticket(pack: SitePack, text: str) -> None:
    turn = Dialog(pack, FakeNlu({"": "ticket_purchase"}), SiteQa(pack), FakeSafety()).turn(text)
    assert turn.nlu.intent == "ticket_purchase"


@pytest.mark.parametrize("first_intent", ["fare_inquiry", "ticket_purchase"])
def test_a_new_fare_question_answering_where_to_keeps_its_own_traveller(
        pack: SitePack, first_intent: str) -> None:
    # "Where are you going?" after the adult fare: "how much is a child ticket to the zoo"
    # names the station asked for and a child, who wins over the question's adult (it
    # was the adult single to Zoo, 2 pounds 90)
    dialog = Dialog(pack, FakeNlu({"": first_intent}), SiteQa(pack), FakeSafety())
    dialog.turn("what's the adult fare")
    assert dialog.pending is not None and dialog.pending.slots == {"traveller": "adult"}
    dialog.nlu = KeywordNlu(pack)
    turn = dialog.turn("how much is a child ticket to the zoo")
    assert turn.nlu.slots.get("traveller") == "child"
    assert turn.answer.text == "A child single to Zoo costs 1 pound 45, half the adult fare."


def test_a_bare_station_answering_where_to_is_still_the_adult_fare(pack: SitePack) -> None:
    dialog = keyword_dialog(pack)
    dialog.turn("what's the adult fare")
    turn = dialog.turn("the zoo")
    assert turn.answer.text == "A single ticket to Zoo costs 2 pounds 90, or 2 pounds 32 with a " \
                               "HarbourCard."


@pytest.mark.parametrize(("text", "said"), [
    ("how much is a child day pass", "A day pass costs 8 pounds 50; the child fare"),
    ("how much is a day pass for a child", "A day pass costs 8 pounds 50; the child fare"),
    ("how much is a student week pass", "A 7-day pass costs 32 pounds; the student fare"),
])
def test_a_pass_for_a_child_is_the_pass_price_and_the_concession_is_on_singles(
        pack: SitePack, text: str, said: str) -> None:
    # network.yaml has one price per pass and a concession_multiplier of the single: no
    # child pass price is made up (half the day pass, 4 pounds 25), none is left unsaid
    # (the child was ignored: "A day pass costs 8 pounds 50.")
    fares = pack.network.fares
    assert (fares.day_pass, fares.week_pass, fares.concession_multiplier) == (8.5, 32.0, 0.5)
    turn = keyword_dialog(pack).turn(text)
    assert turn.answer.source == "network:fares"
    assert turn.answer.text == f"{said}, half the adult fare, is for single tickets, from " \
                               "1 pound 10 within zone 1.", turn.answer.text


def test_a_pass_for_an_adult_or_anyone_is_the_pass_price(pack: SitePack) -> None:
    for text in ("how much is a day pass", "how much is an adult day pass"):
        assert keyword_dialog(pack).turn(text).answer.text == "A day pass costs 8 pounds 50."


def test_a_child_day_pass_in_spanish_says_the_concession_is_on_singles(pack: SitePack) -> None:
    qa = SiteQa(pack)
    nlu = NluResult("fare_inquiry", 1.0, {"ticket_type": "day_pass", "traveller": "child"},
                    language="es")
    answer = qa.answer("¿cuánto cuesta el bono diario para un niño?", nlu, DialogContext())
    assert answer.text == "El bono diario cuesta 8 libras con 50; la tarifa reducida, la mitad " \
                          "de la de adulto, es para billetes sencillos, desde 1 libra con 10 " \
                          "dentro de la zona 1."


@pytest.mark.parametrize(("text", "said"), [
    ("how much is a child return to the zoo",
     "A return ticket to Zoo costs 5 pounds 51; the child fare, half the adult fare, is for "
     "single tickets: a child single to Zoo costs 1 pound 45."),
    ("how much is a return ticket to the zoo for a student",
     "A return ticket to Zoo costs 5 pounds 51; the student fare, half the adult fare, is for "
     "single tickets: a student single to Zoo costs 1 pound 45."),
    ("how much is a child return",
     "A return ticket costs 4 pounds 18; the child fare, half the adult fare, is for single "
     "tickets, from 1 pound 10 within zone 1."),
])
def test_a_return_for_a_child_is_the_adult_return_and_the_child_single(
        pack: SitePack, text: str, said: str) -> None:
    # network.yaml prices a return as return_multiplier (1.9) of the adult single and the
    # concession as concession_multiplier of the single: no concession return (half of
    # 5 pounds 51 is not a price in pence), so the child is told the child single there,
    # never the adult return alone ("A return ticket costs 5 pounds 51.")
    fares = pack.network.fares
    assert (fares.return_multiplier, fares.concession_multiplier) == (1.9, 0.5)
    turn = keyword_dialog(pack).turn(text)
    assert turn.answer.source == "network:fares"
    assert turn.answer.text == said, turn.answer.text


def test_a_return_for_an_adult_or_anyone_is_the_return_price(pack: SitePack) -> None:
    for text in ("how much is a return to the zoo", "how much is an adult return to the zoo"):
        assert keyword_dialog(pack).turn(text).answer.text == "A return ticket costs 5 pounds 51."


def test_a_child_return_in_spanish_says_the_concession_is_on_singles(pack: SitePack) -> None:
    qa = SiteQa(pack)
    nlu = NluResult("fare_inquiry", 1.0, {"ticket_type": "return", "traveller": "child",
                                          "station": "zoo"}, language="es")
    answer = qa.answer("¿cuánto cuesta un billete de ida y vuelta al zoológico para un niño?",
                       nlu, DialogContext())
    assert answer is not None
    assert answer.text == "Un billete de ida y vuelta a Zoo cuesta 5 libras con 51; la tarifa " \
                          "reducida, la mitad de la de adulto, es para billetes sencillos: un " \
                          "billete sencillo reducido a Zoo cuesta 1 libra con 45."
