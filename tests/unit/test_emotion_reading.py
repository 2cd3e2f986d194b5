"""Emotion that reads people: negation, sarcasm, urgency, the reply style, the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.engines.nlu import emotion
from appliance.engines.nlu.base import VoiceFeatures
from appliance.engines.nlu.emotion_eval import emotion_report, main
from appliance.engines.nlu.text import normalize
from appliance.frames import Emotion
from appliance.language.style import choose_style, rewrite


def feel(text: str, intent: str = "out_of_scope", probs: dict[str, float] | None = None,
         voice: VoiceFeatures | None = None) -> Emotion:
    return emotion.combine(normalize(text), intent, voice, probs, raw=text)


@pytest.mark.parametrize("text", ["I am not happy at all", "this is not at all helpful",
                                  "the ticket machine never works", "no thanks to you",
                                  "not great, not great at all"])
def test_negated_praise_is_a_complaint(text: str) -> None:
    assert feel(text).label == "frustrated"


@pytest.mark.parametrize("text", ["I'm not worried", "I'm not confused, just asking",
                                  "no thanks", "it isn't broken"])
def test_negated_feeling_is_cancelled(text: str) -> None:
    assert feel(text).label == "neutral"


def test_negation_stops_at_a_clause_break() -> None:
    assert feel("not the fastest trip but wonderful views").label == "happy"


def test_negation_overrides_the_models_praise() -> None:
    said = feel("I am not happy at all", probs={"happy": 0.9, "neutral": 0.1})
    assert said.label == "frustrated" and said.valence < 0


@pytest.mark.parametrize("text,intent", [
    ("oh wonderful, yet another delay", "service_status"),
    ("oh great, the lift is broken again", "find_elevator"),
    ("fantastic, my train got cancelled", "service_status"),
    ("brilliant, twenty minutes in the queue", "ticket_purchase"),
    ("perfect, I'm going to be late", "next_train"),
    ("I just love waiting for ages", "next_train"),
    ("thanks for nothing", "thanks"),
    ("yeah right", "out_of_scope"),
    ('oh yes, very "helpful" staff', "help_human"),
    ("just what I needed, the gate ate my card", "refund"),
])
def test_sarcasm_reads_frustrated_and_is_never_cheerful(text: str, intent: str) -> None:
    said = feel(text, intent, probs={"happy": 0.8, "neutral": 0.2})  # the head hears praise
    assert said.label == "frustrated" and said.valence < 0
    assert choose_style(said, intent, text) != "cheerful"
    assert "!" not in rewrite("The next train is in 4 minutes!", choose_style(said, intent), intent)


def test_real_praise_stays_happy_and_cheerful() -> None:
    for text in ("great, thank you so much", "wonderful, the lift is working again",
                 "lovely, no delays today"):
        said = feel(text, "thanks")
        assert said.label == "happy", text
        assert choose_style(said, "thanks", text) == "cheerful"


def test_never_cheerful_for_a_complaint_or_sarcasm_even_if_labelled_happy() -> None:
    happy = Emotion("happy", 0.7, 0.6)
    assert choose_style(happy, "refund") == "apologetic"
    assert choose_style(happy, "service_status", "oh great, another delay") == "apologetic"
    assert choose_style(Emotion("happy", 0.1, 0.5), "route_planning") == "neutral"
    assert choose_style(happy, "thanks", "thanks a lot, that helped") == "cheerful"


@pytest.mark.parametrize("style", ["apologetic", "calm", "gentle", "urgent", "clear"])
def test_no_exclamation_mark_for_an_unhappy_visitor(style: str) -> None:
    out = rewrite("Really?! The lift is working again!!", style, "find_elevator")
    assert "!" not in out and "Really?" in out
    assert "!" not in rewrite("Stop!", style, "stop")


@pytest.mark.parametrize("text", ["I'm late, which platform for the airport?",
                                  "quickly, where is exit B", "hurry, which way to line 2",
                                  "my flight leaves in 40 minutes",
                                  "my train leaves in five minutes, where is it",
                                  "I need to get to the hospital asap",
                                  "I've only got 3 minutes to make my connection"])
def test_urgency_reads_anxious_with_high_arousal(text: str) -> None:
    said = feel(text, "route_planning")
    assert said.label == "anxious"
    assert said.arousal >= emotion.URGENT_AROUSAL - 1e-9
    assert choose_style(said, "route_planning") == "calm"


def test_a_late_train_is_a_complaint_not_a_hurry() -> None:
    assert feel("the train is late again", "service_status").label == "frustrated"
    assert feel("are there late trains on saturday", "opening_hours").label == "neutral"


def test_places_and_idioms_are_not_feelings() -> None:
    assert feel("where is the emergency exit", "find_exit").label == "neutral"
    assert feel("how often do trains come on a sunday", "next_train").label == "neutral"
    assert feel("my card just died at the gate", "card_topup").label == "frustrated"


def test_a_loud_voice_still_raises_arousal() -> None:
    loud = feel("the train is late again", "service_status", voice=VoiceFeatures(-8, 260, 4.0))
    flat = feel("the train is late again", "service_status", voice=VoiceFeatures(-38, 110, 1.2))
    assert loud.arousal > flat.arousal


def test_report_baseline_maths_on_a_hand_example() -> None:
    golds = ["neutral", "neutral", "neutral", "happy", "frustrated"]
    preds = ["neutral", "happy", "neutral", "happy", "neutral"]
    rep = emotion_report(golds, preds)
    assert rep["n"] == 5 and rep["accuracy"] == pytest.approx(0.6)
    # neutral: P 2/3, R 2/3 -> F1 2/3; happy: P 1/2, R 1 -> 2/3; frustrated: 0
    assert rep["per_class"]["neutral"] == {"precision": pytest.approx(0.6667, abs=1e-4),
                                           "recall": pytest.approx(0.6667, abs=1e-4),
                                           "f1": pytest.approx(0.6667, abs=1e-4), "support": 3}
    assert rep["per_class"]["happy"]["f1"] == pytest.approx(0.6667, abs=1e-4)
    assert rep["per_class"]["frustrated"]["support"] == 1
    assert rep["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3, abs=1e-4)
    # always "neutral": accuracy 3/5; neutral F1 = 2 * 0.6 * 1 / 1.6 = 0.75, over 3 gold labels
    assert rep["baseline"] == {"label": "neutral", "accuracy": pytest.approx(0.6),
                               "macro_f1": pytest.approx(0.75 / 3, abs=1e-4)}


def test_report_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        emotion_report(["neutral"], [])
    with pytest.raises(ValueError):
        emotion_report([], [])


def test_report_cli_on_a_jsonl_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "rows.jsonl"
    f.write_text('{"text": "where is the toilet", "intent": "find_toilet", "emotion": "neutral"}\n'
                 '{"text": "oh great, another delay", "intent": "service_status", '
                 '"emotion": "frustrated"}\n{"text": "no label", "intent": "greeting"}\n')
    assert main([str(f)]) == 0
    out = capsys.readouterr().out
    assert "emotion on 2 lines: accuracy 100.0 %" in out and "majority baseline" in out
    assert main([str(tmp_path / "missing.jsonl")]) == 2
