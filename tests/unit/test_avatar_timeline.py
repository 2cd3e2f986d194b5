"""The avatar's timeline as numbers: lips, blinks, gaze, expression, gestures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from appliance.avatar.motion import BlinkSchedule, expression_for, saccade_at
from appliance.avatar.pacer import FramePacer
from appliance.avatar.text2action import gestures_from_reply, phoneme_words, word_timings
from appliance.avatar.timeline import AvatarState
from appliance.avatar.visemes import ANTICIPATION_S, VISEMES, Envelope, MouthTrack, shape_for
from appliance.frames import PhonemeTiming, VisemeCue

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures/avatar/piper_reply.json"


def piper_reply() -> tuple[str, list[PhonemeTiming], list[VisemeCue]]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return (data["text"], [PhonemeTiming(*p) for p in data["phonemes"]],
            [VisemeCue(*c) for c in data["cues"]])


def test_every_oculus_viseme_has_a_shape() -> None:
    assert len(VISEMES) == 15
    assert shape_for("aa").open > 0.9
    assert shape_for("PP").open == 0 and shape_for("PP").press == 1
    assert shape_for("sil").open == 0
    assert shape_for("U").wide < -0.5 < 0.5 < shape_for("I").wide


def test_mouth_coarticulates_anticipates_and_never_jumps() -> None:
    track = MouthTrack([VisemeCue("sil", 0, 0.5), VisemeCue("aa", 0.5, 1.0),
                        VisemeCue("PP", 1.0, 1.3)])
    assert track.openness_at(0.2) < 0.01
    assert 0.2 < track.openness_at(0.5 - ANTICIPATION_S) < 0.8  # the lips lead the sound
    assert track.openness_at(0.75) == pytest.approx(1.0, abs=0.02)
    samples = [track.openness_at(i * 0.005) for i in range(400)]
    assert max(abs(b - a) for a, b in itertools.pairwise(samples)) < 0.25  # no step changes
    assert track.shape_at(1.12).open == 0 and track.shape_at(1.12).press == pytest.approx(1.0)
    assert track.openness_at(2.0) == 0


def test_every_bilabial_of_a_real_reply_closes_the_lips_for_a_frame() -> None:
    _, _, cues = piper_reply()
    track = MouthTrack(cues)
    bilabials = [c for c in cues if c.viseme == "PP"]
    assert bilabials
    for c in bilabials:
        mid = (c.start + c.end) / 2 - ANTICIPATION_S
        closed = [track.shape_at(mid + dt).open == 0 for dt in (-0.016, 0.0, 0.016)]
        assert all(closed), f"{c}: lips not shut"


def test_a_short_consonant_between_vowels_barely_closes_the_jaw() -> None:
    track = MouthTrack([VisemeCue("aa", 0.0, 0.2), VisemeCue("DD", 0.2, 0.24),
                        VisemeCue("aa", 0.24, 0.5)])
    assert track.openness_at(0.22 - ANTICIPATION_S) > shape_for("DD").open + 0.15


def test_the_jaw_follows_the_audio_loudness() -> None:
    cues = [VisemeCue("aa", 0.0, 1.0)]
    rate = 16_000
    t = np.arange(rate) / rate
    pcm = (np.where(t < 0.5, 8000, 2000) * np.sin(2 * np.pi * 200 * t)).astype(np.int16)
    env = Envelope()
    env.add(pcm, rate, 0.0)
    track = MouthTrack(cues, env)
    loud, quiet = track.openness_at(0.25), track.openness_at(0.8)
    assert loud > 0.9
    # a quarter of the loudness: the jaw drops to about a third, lips still apart
    assert 0.25 < quiet < 0.5 * loud


def test_words_come_from_piper_word_boundaries() -> None:
    text, phonemes, _ = piper_reply()
    assert len(phoneme_words(phonemes)) == 14
    words = word_timings(text, phonemes)
    assert [w.word for w in words][:3] == ["Hello", "Yes", "the"]
    assert all(a.end <= b.start + 1e-9 for a, b in itertools.pairwise(words))
    left = next(w for w in words if w.word == "left")
    assert 2.4 < left.start < 2.7


def test_text2action_points_left_on_left_and_greets_and_nods() -> None:
    text, phonemes, _ = piper_reply()
    gestures = gestures_from_reply(text, phonemes)
    kinds = {g.kind: g for g in gestures}
    assert set(kinds) == {"open_hand", "nod", "point_left"}
    left = next(w for w in word_timings(text, phonemes) if w.word == "left")
    assert kinds["point_left"].apex == pytest.approx(left.start)  # stroke lands on the word
    assert kinds["point_left"].start < left.start < kinds["point_left"].end


@pytest.mark.parametrize(("text", "kind"), [
    ("Turn right after the gates.", "point_right"),
    ("Go straight ahead to exit B.", "point_ahead"),
    ("That's right, it is free.", "nod"),
    ("Welcome to Central Station!", "open_hand"),
    ("洗手间在左边。", "point_left"),
])
def test_text2action_rules(text: str, kind: str) -> None:
    gestures = gestures_from_reply(text, [], duration=3.0)
    assert kind in {g.kind for g in gestures}


def test_no_gesture_for_plain_text() -> None:
    assert gestures_from_reply("The train leaves at ten.", [], duration=2.0) == []


@pytest.mark.parametrize("text", [
    "Left luggage is at the Customer Service Centre.",
    "Sorry, there are none left for today.",
    "The last train left at midnight.",
    "You have the right to a refund.",
    "I left my bag on the train, what should I do?",
])
def test_a_side_word_that_is_not_a_direction_never_points(text: str) -> None:
    kinds = {g.kind for g in gestures_from_reply(text, [], duration=3.0)}
    assert not kinds & {"point_left", "point_right", "point_ahead"}, kinds


@pytest.mark.parametrize(("text", "kind"), [
    ("It is on your left, past the gates.", "point_left"),
    ("Exit A is to the left of the ticket gates.", "point_left"),
    ("Keep right at the escalator.", "point_right"),
    ("The lift is on the right-hand side.", "point_right"),
    ("Walk straight ahead to the barriers.", "point_ahead"),
])
def test_spatial_phrases_point(text: str, kind: str) -> None:
    assert kind in {g.kind for g in gestures_from_reply(text, [], duration=3.0)}


def test_a_structured_direction_wins_over_the_words() -> None:
    gestures = gestures_from_reply("Exit D is at the far end of the concourse.", [],
                                   duration=3.0, direction="point_right")
    assert [g.kind for g in gestures] == ["point_right"]
    said = gestures_from_reply("It is on your left.", [], duration=2.0, direction="point_right")
    assert {g.kind for g in said} == {"point_right"}


def test_blinks_are_deterministic_brief_and_human_in_rate_and_spread() -> None:
    a, b = BlinkSchedule(seed=1), BlinkSchedule(seed=1)
    assert a.times == b.times
    t0 = a.times[0]
    assert max(a.closure_at(t0 + i * 0.005) for i in range(60)) > 0.95  # fully shut
    assert a.closure_at(t0 - 0.01) == 0.0
    assert a.closure_at(t0 + 0.3) == 0.0  # brief
    gaps = np.diff(a.times)
    assert gaps.min() > 0.2
    per_minute = 60.0 / float(np.mean(gaps))
    assert 10 < per_minute < 24  # people blink ~12-20 times a minute
    assert 0.4 < float(np.std(gaps) / np.mean(gaps)) < 1.0  # unevenly, not a metronome
    assert np.mean(gaps < 0.5) > 0.05  # some double blinks


def test_eyes_make_small_saccades() -> None:
    xs = [saccade_at(t * 0.1)[0] for t in range(600)]
    jumps = sum(abs(b - a) > 0.02 for a, b in itertools.pairwise(xs))
    assert 20 < jumps < 120 and max(abs(x) for x in xs) < 0.35


def test_expression_follows_valence_and_arousal() -> None:
    happy, sad = expression_for(0.8, 0.5), expression_for(-0.8, 0.3)
    assert happy.smile > 0.6 > sad.smile
    assert sad.brow_inner > 0.5 > happy.brow_inner
    assert expression_for(0, 0.9).eye_open > expression_for(0, 0.1).eye_open


def test_state_eases_gaze_and_emotion() -> None:
    state = AvatarState()
    state.look_at(60.0, t=1.0)
    assert state.pose_at(1.0).gaze_x == pytest.approx(0.0)
    assert state.pose_at(1.5).gaze_x == pytest.approx(1.0)
    assert state.pose_at(1.2).head_yaw < state.pose_at(3.0).head_yaw  # head follows slower
    state.set_emotion(0.9, 0.5, t=2.0)
    assert state.pose_at(3.0).expression.smile > state.pose_at(2.0).expression.smile


def test_interrupt_closes_the_mouth_and_stops_words() -> None:
    state = AvatarState()
    _, phonemes, cues = piper_reply()
    text = "Hello! Yes, the nearest toilet is on your left, just past the ticket gates."
    state.speak(10.0, cues, gestures_from_reply(text, phonemes),
                word_timings(text, phonemes), text=text)
    assert state.speaking_at(12.0)
    state.interrupt(12.0)
    assert not state.speaking_at(12.5)
    assert state.pose_at(12.5).mouth.open == 0
    assert state.current_word(20.0) == state.current_word(12.0)


def test_pacer_counts_dropped_frames() -> None:
    pacer = FramePacer(fps=30, t0=0.0)
    assert pacer.advance(0.01) == 0
    assert pacer.deadline() == pytest.approx(1 / 30)
    assert pacer.advance(0.2) == 4  # a 170 ms stall skips the deadlines it missed
    assert pacer.dropped == 4
