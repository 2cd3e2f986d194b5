"""The speller: per-frame letters become committed letters and words (plain frame counts)."""

from __future__ import annotations

from appliance.sign.input.speller import Speller, SpellerSettings

HOLD = 6
PAUSE = 24


def frames(*runs: tuple[str | None, int]) -> list[str | None]:
    return [letter for letter, n in runs for _ in range(n)]


def feed(speller: Speller, readings: list[str | None]) -> list[str]:
    return [w for r in readings if (w := speller.push(r))]


def test_a_letter_held_long_enough_counts_once_and_a_pause_ends_the_word() -> None:
    sp = Speller(SpellerSettings(hold_frames=HOLD, pause_frames=PAUSE))
    words = feed(sp, frames(("h", 30), (None, 2), ("i", HOLD), (None, PAUSE)))
    assert words == ["hi"]
    assert sp.pending == ""


def test_a_flicker_shorter_than_the_hold_is_not_a_letter() -> None:
    sp = Speller(SpellerSettings(hold_frames=HOLD, pause_frames=PAUSE))
    readings = frames(("c", HOLD), ("o", HOLD - 1), ("a", 3), ("t", HOLD))
    assert feed(sp, readings) == []
    assert sp.pending == "ct"


def test_a_doubled_letter_needs_a_release_between_its_holds() -> None:
    sp = Speller(SpellerSettings(hold_frames=HOLD, release_frames=2, pause_frames=PAUSE))
    hill = frames(("h", HOLD), ("i", HOLD), ("l", HOLD), (None, 2), ("l", HOLD))
    feed(sp, hill)
    assert sp.pending == "hill"
    # a one-frame dropout inside a long hold is not a second letter
    sp2 = Speller(SpellerSettings(hold_frames=HOLD, release_frames=2, pause_frames=PAUSE))
    feed(sp2, frames(("l", HOLD), (None, 1), ("l", HOLD)))
    assert sp2.pending == "l"


def test_a_short_gap_does_not_end_the_word_and_flush_ends_it() -> None:
    sp = Speller(SpellerSettings(hold_frames=HOLD, pause_frames=PAUSE))
    assert feed(sp, frames(("n", HOLD), (None, PAUSE - 1), ("o", HOLD))) == []
    assert sp.flush() == "no"
    assert sp.flush() is None


def test_no_word_without_letters_and_a_word_stops_growing() -> None:
    sp = Speller(SpellerSettings(hold_frames=2, release_frames=1, pause_frames=3,
                                 max_letters=3))
    assert feed(sp, frames((None, 50))) == []
    readings = frames(*[(c, 2) for c in "abcdef"], (None, 3))
    assert feed(sp, readings) == ["abc"]
