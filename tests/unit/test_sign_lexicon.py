"""The station-sign lexicon: size, coverage, honest notice, every entry well-formed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from appliance.avatar.arms import FRAME_HALF_X, SHOULDER, solve_elbow
from appliance.sign import lexicon
from appliance.sign.gloss import GlossItem
from appliance.sign.handgeom import hand_points
from appliance.sign.timeline import build_track

LEX = lexicon.load("asl")
TOP_Y, BOTTOM_Y = -480.0, 800.0
"""Fingertips stay between the top of a portrait frame and the subtitle band (body units)."""

REQUIRED = ["toilet", "exit", "lift", "stairs", "escalator", "ticket", "train", "platform",
            "line", "station", "left", "right", "straight", "up", "down", "help", "wait",
            "thank you", "sorry", "yes", "no", "please", "where", "when", "how much", "card",
            "pay", "lost", "found", "staff", "police", "doctor", "danger", "fire", "closed",
            "open", "delay", "next", "last", "first", "change", "minutes", "time", "today",
            "monday", "sunday", "hour"]


def test_at_least_150_signs_in_asl_with_an_honest_notice() -> None:
    assert len(LEX.signs) >= 150
    assert LEX.language == "asl"
    assert all(s.language == "asl" for s in LEX.signs.values())
    assert "not been validated by deaf signers" in LEX.notice.lower()


@pytest.mark.parametrize("word", REQUIRED)
def test_station_words_have_signs(word: str) -> None:
    assert LEX.index.get(word) is not None, word


def _reachable(side: int, wrist: tuple[float, float]) -> bool:
    shoulder = (side * SHOULDER[0], SHOULDER[1])
    _elbow, reached = solve_elbow(shoulder, wrist, side)
    return math.dist(reached, wrist) < 1.0


@pytest.mark.parametrize("gloss", sorted(LEX.signs))
def test_every_sign_is_reachable_inside_the_frame_with_sane_timing(gloss: str) -> None:
    sign = LEX.signs[gloss]
    assert sign.keys and sign.words
    assert all(0.1 <= k.dur <= 1.0 for k in sign.keys)
    assert 0.3 <= sign.duration <= 2.0
    track = build_track([GlossItem(gloss, "sign", (0, 1), sign.keys)])
    item = track.items[0]
    for t in np.linspace(item.start, item.end, 25):
        pose = track.sample(float(t))
        for place, side, mirror in ((pose.dom, -1, -1), (pose.non, 1, 1)):
            # the default drawing puts the dominant hand on the viewer's left (x mirrored)
            wrist = (-place.wrist[0], place.wrist[1])
            assert _reachable(side, wrist), (gloss, round(float(t), 2), wrist)
            pts = hand_points(place, mirror)
            assert np.abs(pts[:, 0]).max() <= FRAME_HALF_X, (gloss, t)
            assert pts[:, 1].min() >= TOP_Y and pts[:, 1].max() <= BOTTOM_Y, (gloss, t)


def test_bad_entries_are_refused() -> None:
    base = {"language": "asl", "notice": "approximations"}
    good = {"words": ["x"], "keys": [{"d": ["chin", "b", -90, 0]}]}
    assert lexicon.parse({**base, "signs": {"X": good}}).signs["X"].keys[0].dur == 0.4
    for bad in ({"words": ["x"], "keys": [{"d": ["chin", "nope", -90, 0]}]},
                {"words": ["x"], "keys": [{"d": ["elbow", "b", -90, 0]}]},
                {"words": ["x"], "keys": [{"d": ["chin", "b", -90, 0], "move": "spin"}]},
                {"words": [True], "keys": [{"d": ["chin", "b", -90, 0]}]}):
        with pytest.raises(ValueError):
            lexicon.parse({**base, "signs": {"X": bad}})
    with pytest.raises(ValueError):
        lexicon.parse({"language": "asl", "signs": {}})  # no notice of its limits


def test_places_resolve_with_offsets() -> None:
    assert lexicon.place("chin@10/-20") == (lexicon.LOCATIONS["chin"][0] + 10,
                                            lexicon.LOCATIONS["chin"][1] - 20)
    assert lexicon.place([5, 6]) == (5.0, 6.0)


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError):
        lexicon.load("klingon")
