"""Reply text is cut into sentences; a long first one at its first clause."""

from appliance.engines.tts.sentences import split_sentences


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


def test_a_clause_too_short_to_say_alone_is_not_cut() -> None:
    text = "Yes, the station closes at half past midnight on weekdays and at one on Saturdays."
    assert split_sentences(text) == [text]


def test_chinese_sentences() -> None:
    assert split_sentences("你好，欢迎光临本站。洗手间在C出口旁边。") == [
        "你好，欢迎光临本站。洗手间在C出口旁边。"]
