"""Fingerspelling of names and numbers: shapes, order and timing."""

from __future__ import annotations

import pytest

from appliance.sign import fingerspell
from appliance.sign.gloss import GlossItem
from appliance.sign.handshape import LETTERS, NUMBERS, SHAPES
from appliance.sign.timeline import build_track


def test_a_name_spells_each_letter_in_order() -> None:
    keys = fingerspell.spell("Northgate")
    assert [k.dom.shape for k in keys] == list("northgate")
    assert all(k.non is None for k in keys)  # one-handed alphabet


def test_each_letter_takes_a_quarter_to_a_third_of_a_second() -> None:
    word = "Harbour"
    keys = fingerspell.spell(word)
    item = GlossItem("fs-HARBOUR", "spell", (0, len(word)), keys,
                     inner_s=fingerspell.LETTER_MOVE_S)
    per_letter = item.duration / len(keys)
    assert 0.25 <= per_letter <= 0.35
    track = build_track([item])
    assert track.items[0].end - track.items[0].start >= item.duration


def test_doubled_letter_slides_and_j_z_move() -> None:
    keys = fingerspell.spell("Hill")
    assert keys[3].dom.wrist[0] > keys[2].dom.wrist[0]
    assert fingerspell.spell("j")[0].move == "j"
    assert fingerspell.spell("z")[0].move == "z"


def test_accents_and_punctuation_are_dropped() -> None:
    assert fingerspell.letters_of("Zoë-Ann's") == "zoeanns"
    assert fingerspell.spell("42") == ()


def test_every_letter_is_a_distinct_hand() -> None:
    seen: dict[tuple[object, ...], str] = {}
    for c in "abcdefghijklmnopqrstuvwxyz":
        (key,) = fingerspell.spell(c)
        sig = (SHAPES[key.dom.shape].vector(), key.dom.angle_deg, key.dom.turn_deg, key.move)
        assert sig not in seen, f"{c} looks like {seen.get(sig)}"
        seen[sig] = c
    assert set(LETTERS) == set("abcdefghijklmnopqrstuvwxyz")


@pytest.mark.parametrize(("n", "shapes"), [
    (0, ["n0"]), (4, ["n4"]), (10, ["n10"]), (23, ["n2", "n3"]), (2024, ["n2", "n0", "n2", "n4"]),
])
def test_numbers_are_number_signs(n: int, shapes: list[str]) -> None:
    assert [k.dom.shape for k in fingerspell.number(n)] == shapes


def test_numbers_zero_to_ten_have_their_own_distinct_shapes() -> None:
    assert sorted(NUMBERS) == list(range(11))
    vectors = {NUMBERS[n].vector() for n in range(11)}
    assert len(vectors) == 11
    ten = fingerspell.number(10)[0]
    assert ten.move == "twist"
    # 1-5 palm toward the signer, 6-9 toward the viewer
    assert fingerspell.number(3)[0].dom.turn_deg == 180.0
    assert fingerspell.number(7)[0].dom.turn_deg == 0.0


def test_repeated_digit_slides() -> None:
    keys = fingerspell.number(11)
    assert keys[1].dom.wrist[0] > keys[0].dom.wrist[0]


def test_negative_number_is_refused() -> None:
    with pytest.raises(ValueError):
        fingerspell.number(-1)
