"""The keyword NLU on real text: intents, slots (with typos), out-of-scope and emotion;
and the dialogue's answers without the encoder."""

from __future__ import annotations

import pytest

from appliance.behavior.dialog import Dialog
from appliance.engines.nlu.base import VoiceFeatures
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.nlu.slots import SlotExtractor
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
