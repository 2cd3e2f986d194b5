"""The listening face (nods at the visitor's pauses) and expression by emotion."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from appliance.avatar import draw as d
from appliance.avatar.affect import is_concerned, reply_affect, reply_tilt
from appliance.avatar.motion import expression_for
from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.avatar.timeline import ACK_GAP_S, ACK_NOD_S, AvatarState
from appliance.engines.nlu.emotion import AROUSAL, VALENCE
from appliance.frames import Emotion, Reply, SpeechPaused


def _peak_pitch(state: AvatarState, t0: float, t1: float) -> float:
    return max(state.pose_at(t0 + i * 0.02).head_pitch for i in range(int((t1 - t0) / 0.02)))


def test_a_pause_while_listening_nods_once_and_briefly() -> None:
    state = AvatarState()
    state.set_mode("listening")
    assert _peak_pitch(state, 1.0, 2.0) < 0.01
    assert state.acknowledge(1.0)
    assert _peak_pitch(state, 1.0, 1.0 + ACK_NOD_S) > 0.3
    assert state.pose_at(1.0 + ACK_NOD_S + 0.05).head_pitch < 0.01  # back up
    # a second pause right after: no second nod (a nod at every breath is a tic)
    assert not state.acknowledge(1.0 + ACK_GAP_S / 2)
    assert state.acknowledge(1.0 + ACK_GAP_S + 0.01)


def test_no_listening_nod_over_its_own_reply() -> None:
    state = AvatarState()
    state.speak(0.0, [], duration=3.0)
    assert not state.acknowledge(1.0)
    assert _peak_pitch(state, 1.0, 1.6) < 0.01


def test_a_listening_nod_keeps_the_lean_the_tree_decided() -> None:
    state = AvatarState()
    state.set_mode("listening")
    state.perform("lean_in", 0.0)
    lean = state.pose_at(1.0).head_y
    state.acknowledge(1.0)
    pose = state.pose_at(1.0 + ACK_NOD_S / 2)
    assert pose.head_pitch > 0.3
    assert abs(pose.head_y - lean) < 0.01, "the nod dropped the lean"


def test_listening_raises_the_brows_and_holds_the_gaze() -> None:
    idle, listening = AvatarState(), AvatarState()
    listening.set_mode("listening")
    for t in (0.5, 1.5, 2.5):
        assert listening.pose_at(t).expression.brow_raise > idle.pose_at(t).expression.brow_raise
    # saccades are smaller: the eyes stay on the visitor
    spread = [abs(s.pose_at(0.1 * i).gaze_x) for s in (idle, listening) for i in range(100)]
    assert max(spread[100:]) < max(spread[:100])


def test_speech_paused_frames_make_the_scene_nod() -> None:
    scene, still = Scene((270, 480)), Scene((270, 480))
    for s in (scene, still):
        s.set_mode("listening")
    AvatarOutput(scene, clock=lambda: 5.0).handle(SpeechPaused(2.0, turn_id=1))
    t = 5.0 + ACK_NOD_S / 2
    assert scene.state.pose_at(t).head_pitch > 0.3
    nodding, level = scene.render(t).copy(), still.render(t).copy()
    assert (abs(level.astype(int) - nodding.astype(int)).sum(axis=2) > 40).sum() > 100


# --- expression by emotion ------------------------------------------------------------

NLU_EMOTIONS = ("neutral", "happy", "frustrated", "anxious", "sad", "confused")


def _face(scene: Scene, frame: np.ndarray) -> np.ndarray:
    hx, hy = scene.layout.head
    s = scene.layout.scale
    return frame[int(hy - 150 * s) : int(hy + 250 * s), int(hx - 200 * s) : int(hx + 200 * s)]


def _render_face(valence: float, arousal: float) -> np.ndarray:
    scene = Scene((540, 960))
    scene.set_mode("idle")
    scene.set_emotion(valence, arousal, 0.0)
    return _face(scene, scene.render(2.0)).astype(np.int16)


def test_each_nlu_emotion_shows_a_different_face() -> None:
    faces = {e: _render_face(VALENCE[e], AROUSAL[e]) for e in NLU_EMOTIONS}
    for a, b in itertools.combinations(NLU_EMOTIONS, 2):
        changed = (np.abs(faces[a] - faces[b]).sum(axis=2) > 60).sum()
        assert changed > 150, f"{a} and {b} look the same ({changed} px differ)"


def test_the_face_is_shaded_not_flat() -> None:
    face = _render_face(0.0, 0.3)
    skin = np.abs(face - np.array(d.SKIN, np.int16)).sum(axis=2)
    shaded = (np.abs(face - np.array(d.SKIN_DARK, np.int16)).sum(axis=2) < 40).sum()
    assert shaded > 500, "no form shadow on the face"
    assert (skin < 10).sum() > 2000, "no lit skin left"
    lips = sum((np.abs(face - np.array(c, np.int16)).sum(axis=2) < 12).sum()
               for c in (d.LIP, d.LIP_UPPER))
    assert lips > 100, "no lips"


def _reply(intent: str, style: str, source: str, label: str) -> Reply:
    return Reply("Sorry about that.", intent, style, source, [],
                 Emotion(label, VALENCE[label], AROUSAL[label]))


@pytest.mark.parametrize("reply", [
    _reply("emergency", "urgent", "safety:alert/fire", "neutral"),
    _reply("lost_item", "clear", "safety:confirm", "happy"),  # a calmly reported bag
    _reply("refund", "apologetic", "template:refund", "happy"),  # "great, broken again"
    _reply("help_human", "apologetic", "template:help_human", "frustrated"),
])
def test_danger_and_complaint_replies_get_the_concerned_face_never_a_grin(reply: Reply) -> None:
    scene = Scene((540, 960))
    AvatarOutput(scene, clock=lambda: 0.0).handle(reply)
    expr = scene.state.expression_at(2.0)
    assert is_concerned(expr), expr
    happy = _render_face(VALENCE["happy"], AROUSAL["happy"])
    face = _face(scene, scene.render(2.0)).astype(np.int16)
    assert (np.abs(face - happy).sum(axis=2) > 60).sum() > 150


def test_a_happy_visitors_plain_answer_smiles() -> None:
    v, a = reply_affect(_reply("find_toilet", "cheerful", "slot:toilet", "happy"))
    assert expression_for(v, a).smile > 0.4


@pytest.mark.parametrize(("reply", "tilted"), [
    (_reply("route_planning", "clear", "dialog:clarify", "neutral"), True),  # "Which station?"
    (_reply("out_of_scope", "neutral", "template:out_of_scope.unsure", "confused"), True),
    (_reply("find_toilet", "neutral", "faq:toilets-where", "neutral"), False),
    (_reply("lost_item", "clear", "safety:confirm", "neutral"), False),  # danger: concerned
    (_reply("route_planning", "apologetic", "dialog:clarify", "frustrated"), False),
])
def test_asking_the_visitor_back_lifts_one_brow(reply: Reply, tilted: bool) -> None:
    scene = Scene((540, 960))
    AvatarOutput(scene, clock=lambda: 0.0).handle(reply)
    assert (reply_tilt(reply) > 0) is tilted
    assert (scene.state.expression_at(2.0).brow_tilt > 0.5) is tilted


def test_one_brow_up_is_drawn_on_one_side_only() -> None:
    level, asking = Scene((540, 960)), Scene((540, 960))
    for scene, tilt in ((level, 0.0), (asking, 0.7)):
        scene.set_mode("idle")
        scene.set_emotion(0.0, 0.3, 0.0, tilt=tilt)
    a, b = (_face(s, s.render(2.0)).astype(np.int16) for s in (level, asking))
    changed = np.abs(a - b).sum(axis=2) > 60
    half = changed.shape[1] // 2
    left, right = changed[:, :half].sum(), changed[:, half:].sum()
    assert max(left, right) > 100, "no brow moved"
    assert min(left, right) < max(left, right) / 10, (left, right)  # one side only
