"""The signing track: timing, sampling, face markers and subtitle spans in step."""

from __future__ import annotations

import math

import numpy as np

from appliance.sign.gloss import gloss_reply
from appliance.sign.timeline import BETWEEN_S, LEAD_S, REST_DOM, TAIL_S, build_track

TOILETS = "The toilets are at exit B, turn left."
NEXT_TRAIN = "The next train to Northgate leaves in 4 minutes."


def test_track_holds_every_item_in_order_and_lasts_their_sum() -> None:
    gloss = gloss_reply(NEXT_TRAIN)
    track = build_track(gloss)
    assert [it.gloss for it in track.items] == [g.gloss for g in gloss]
    starts = [it.start for it in track.items]
    assert starts == sorted(starts)
    for a, b in zip(track.items, track.items[1:], strict=False):
        assert math.isclose(a.end, b.start)  # contiguous: the subtitles never go blank
    expected = LEAD_S + sum(g.duration + g.pause_after for g in gloss) \
        + BETWEEN_S * (len(gloss) - 1) + TAIL_S
    assert math.isclose(track.duration, expected, rel_tol=1e-9)


def test_subtitle_span_follows_the_item_being_signed() -> None:
    track = build_track(gloss_reply(TOILETS))
    for k, it in enumerate(track.items):
        mid = (it.start + it.end) / 2
        assert track.item_at(mid) == k
        assert track.span_at(mid) == it.span
        assert track.sample(mid).item == k
    span = track.span_at(track.items[2].start + 0.01)
    assert span is not None and TOILETS[span[0] : span[1]] == "B"
    assert track.span_at(track.duration + 1.0) is None


def test_hands_start_and_end_at_rest_and_move_between() -> None:
    track = build_track(gloss_reply(TOILETS))
    assert track.sample(0.0).dom.wrist == REST_DOM.wrist
    assert track.sample(track.duration + 0.5).dom.wrist == REST_DOM.wrist
    assert track.sample(track.items[0].start + 0.3).dom.wrist != REST_DOM.wrist


def test_motion_is_continuous_frame_to_frame() -> None:
    track = build_track(gloss_reply(NEXT_TRAIN + " " + TOILETS))
    ts = np.arange(0.0, track.duration, 1 / 60)
    prev = track.sample(0.0)
    worst = 0.0
    for t in ts[1:]:
        pose = track.sample(float(t))
        worst = max(worst, math.dist(pose.dom.wrist, prev.dom.wrist),
                    math.dist(pose.non.wrist, prev.non.wrist))
        prev = pose
    assert worst < 45.0  # body units per 60 fps frame: no teleporting hands


def test_handshapes_blend_between_letters() -> None:
    track = build_track(gloss_reply("Ab"))  # unknown word: fingerspelled A, B
    (a_start, a_end), (b_start, _b_end) = track.holds(0)
    a = track.sample((a_start + a_end) / 2).dom.shape
    b = track.sample(b_start + 0.01).dom.shape
    mid = track.sample((a_end + b_start) / 2).dom.shape
    assert a.vector() != b.vector()
    assert min(a.base[0], b.base[0]) < mid.base[0] < max(a.base[0], b.base[0])


def test_question_faces_show_on_the_track() -> None:
    wh = build_track(gloss_reply("Where is the lift?"))
    yn = build_track(gloss_reply("Do you need help?"))
    assert wh.sample(wh.duration / 2).brow_raise < -0.5
    assert yn.sample(yn.duration / 2).brow_raise > 0.5
    assert wh.sample(0.0).brow_raise == 0.0


def test_negation_shakes_the_head() -> None:
    track = build_track(gloss_reply("The lift is not open."))
    not_item = next(it for it in track.items if it.gloss == "NOT")
    yaws = [abs(track.sample(float(t)).head_yaw)
            for t in np.linspace(not_item.start, not_item.end, 20)]
    assert max(yaws) > 0.1


def test_empty_gloss_is_an_empty_track_at_rest() -> None:
    track = build_track([])
    assert track.duration == 0.0
    assert track.span_at(0.0) is None
    assert track.sample(1.0).dom.wrist == REST_DOM.wrist
