"""Reply text -> gloss: look-up, dropped words, fingerspelling, numbers, order, faces, spans."""

from __future__ import annotations

from appliance.sign.gloss import gloss_reply, gloss_text

TOILETS = "The toilets are at exit B, turn left."
NEXT_TRAIN = "The next train to Northgate leaves in 4 minutes."


def _words(text: str) -> list[tuple[str, str]]:
    return [(it.gloss, text[it.span[0] : it.span[1]]) for it in gloss_reply(text)]


def test_toilets_reply_signs_place_exit_letter_and_direction() -> None:
    assert _words(TOILETS) == [("TOILET", "toilets"), ("EXIT", "exit"), ("fs-B", "B"),
                               ("LEFT", "turn left")]


def test_next_train_reply_puts_the_time_first_and_spells_the_station() -> None:
    items = gloss_reply(NEXT_TRAIN)
    assert gloss_text(items) == "#4 MINUTE NEXT TRAIN fs-NORTHGATE LEAVE"
    spelled = [it for it in items if it.kind == "spell"]
    assert [NEXT_TRAIN[s.span[0] : s.span[1]] for s in spelled] == ["Northgate"]
    assert items[0].kind == "number" and NEXT_TRAIN[slice(*items[0].span)] == "4"


def test_unknown_name_is_fingerspelled_letter_by_letter() -> None:
    text = "Please ask Mr Okonkwo at the Customer Service Centre."
    items = gloss_reply(text)
    name = next(it for it in items if it.gloss == "fs-OKONKWO")
    assert [k.dom.shape for k in name.keys] == list("okonkwo")
    assert text[slice(*name.span)] == "Okonkwo"
    assert "SERVICE" in gloss_text(items) and "CENTRE" in gloss_text(items)


def test_articles_and_copulas_are_dropped() -> None:
    glosses = gloss_text(gloss_reply("The lift is on the left.")).split()
    assert glosses == ["LIFT", "LEFT"]


def test_lemmas_and_synonyms_find_signs() -> None:
    assert gloss_text(gloss_reply("Trains depart from platforms")) == "TRAIN LEAVE FROM PLATFORM"
    assert gloss_text(gloss_reply("restrooms")) == "TOILET"


def test_wh_question_moves_question_word_last_with_brows_down() -> None:
    items = gloss_reply("Where is the lift?")
    assert gloss_text(items) == "LIFT WHERE"
    assert {it.face for it in items} == {"brows_down"}


def test_yes_no_question_raises_the_brows() -> None:
    items = gloss_reply("Do you need help?")
    assert gloss_text(items) == "YOU NEED HELP"
    assert {it.face for it in items} == {"brows_up"}


def test_negation_shakes_the_head_over_the_negated_sign() -> None:
    items = gloss_reply("The escalator is not open.")
    assert gloss_text(items) == "ESCALATOR NOT OPEN"
    assert [it.face for it in items] == ["", "headshake", "headshake"]


def test_clock_times_and_prices_become_number_signs() -> None:
    assert gloss_text(gloss_reply("The last train leaves at 23:45.")) == \
        "TIME #23 #45 LAST TRAIN LEAVE"
    assert gloss_text(gloss_reply("A ticket costs £3.")) == "TICKET COST #3 MONEY"
    assert gloss_text(gloss_reply("Wait five minutes")) == "#5 MINUTE WAIT"


def test_clause_end_gets_a_pause_and_spans_stay_inside_the_text() -> None:
    items = gloss_reply(TOILETS)
    assert items[2].pause_after > 0  # "exit B," ends a clause
    for it in items:
        assert 0 <= it.span[0] < it.span[1] <= len(TOILETS)
        assert it.duration > 0


def test_empty_reply_has_no_gloss() -> None:
    assert gloss_reply("") == []
    assert gloss_reply("...") == []
