"""Reply text is cut into sentences; a long first one at its first clause."""

import numpy as np
import pytest

from appliance.engines.tts.base import TtsChunk
from appliance.engines.tts.sentences import is_phrase_head, speakable, split_sentences


def test_sentences_split_and_a_short_last_one_joins_the_previous() -> None:
    text = "The next train leaves in four minutes. Platform two is on your left. Thanks!"
    assert split_sentences(text) == ["The next train leaves in four minutes.",
                                     "Platform two is on your left. Thanks!"]


def test_short_sentences_join_the_next() -> None:
    assert split_sentences("Hi. Sure. The lifts are by exit B.") == [
        "Hi. Sure. The lifts are by exit B."]


def test_a_long_first_sentence_is_cut_at_its_first_clause() -> None:
    text = ("The toilets are on the concourse, to the right of the ticket gates next to "
            "Exit C. They are free to use.")
    parts = split_sentences(text)
    assert parts[0] == "The toilets are on the concourse,"
    assert parts[1].startswith("to the right") and parts[-1] == "They are free to use."
    assert " ".join(parts) == text


def test_a_clause_too_short_to_say_alone_is_not_cut_but_a_phrase_is() -> None:
    text = "Yes, the station closes at half past midnight on weekdays and at one on Saturdays."
    assert split_sentences(text) == ["Yes, the station closes at half past midnight",
                                     "on weekdays and at one on Saturdays."]


def test_a_long_first_sentence_without_a_comma_is_cut_before_a_phrase() -> None:
    text = "Central Square opens at 5:15 in the morning and closes at 00:45. Trains run late."
    parts = split_sentences(text)
    assert parts == ["Central Square opens at 5:15 in the morning", "and closes at 00:45.",
                     "Trains run late."]
    assert is_phrase_head(parts[0]) and not is_phrase_head(parts[1])
    assert speakable(parts[0]) == "Central Square opens at 5:15 in the morning,"
    assert speakable(parts[1]) == parts[1]


def test_the_first_chunk_is_cut_until_it_is_short_and_later_ones_are_left_whole() -> None:
    text = ("Unused tickets can be refunded within 7 days at the Customer Service Centre, "
            "bring your receipt and your bank card with you when you come to the station.")
    parts = split_sentences(text)
    assert parts[0] == "Unused tickets can be refunded within 7 days"
    assert parts[1] == "at the Customer Service Centre,"
    assert parts[2].startswith("bring your receipt") and parts[2].endswith("station.")
    assert " ".join(parts) == text


def test_no_cut_inside_brackets_or_before_an_infinitive() -> None:
    text = "Line 2 (Blue Line and Green Line) is running normally this morning."
    assert split_sentences(text) == [text]  # "and" opens no phrase inside the brackets
    parts = split_sentences("Line 2 (Blue Line and Green Line) is running at the moment.")
    assert parts == ["Line 2 (Blue Line and Green Line) is running", "at the moment."]
    text = "You will need to remember to validate your paper ticket every single time."
    assert split_sentences(text) == [text]  # "to" before a verb is an infinitive: no cut
    assert split_sentences("Travelling without a valid ticket can lead to a penalty fare.") == [
        "Travelling without a valid ticket can lead", "to a penalty fare."]


def test_a_short_first_sentence_is_said_alone_when_the_rest_is_long_enough() -> None:
    assert split_sentences("I'm sorry. Please ask a member of staff.") == [
        "I'm sorry.", "Please ask a member of staff."]
    assert split_sentences("I'm sorry. Okay.") == ["I'm sorry. Okay."]  # too short to say alone


def test_chinese_sentences() -> None:
    assert split_sentences("你好，欢迎光临本站。洗手间在C出口旁边。") == [
        "你好，欢迎光临本站。洗手间在C出口旁边。"]


def test_trim_tail_keeps_the_pause_asked_for_and_clips_the_phonemes() -> None:
    rate = 1000
    pcm = np.concatenate([np.full(500, 4000), np.zeros(400)]).astype(np.int16)
    chunk = TtsChunk(pcm, rate, "in the morning", [("m", 0.0, 0.5), ("_", 0.5, 0.9)])
    trimmed = chunk.trim_tail(0.1)
    assert trimmed.duration == pytest.approx(0.6)
    assert trimmed.phonemes == [("m", 0.0, 0.5), ("_", 0.5, 0.6)]
    assert chunk.trim_tail(0.5) is chunk  # less silence than asked: unchanged
