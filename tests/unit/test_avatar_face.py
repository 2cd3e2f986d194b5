"""The listening face (nods at the visitor's pauses) and expression by emotion."""

from __future__ import annotations

from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.avatar.timeline import ACK_GAP_S, ACK_NOD_S, AvatarState
from appliance.frames import SpeechPaused


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
