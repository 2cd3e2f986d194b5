"""The behaviour tree in a running kiosk: camera -> vision -> tree -> speech and avatar.

A sim camera plays blank frames and a scripted face detector decides who is
there; the kiosk itself is real (pipeline, fake engines, sim microphone and
speaker, the live avatar without a screen), and every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from appliance.app import Kiosk
from appliance.avatar.live import LiveAvatar
from appliance.avatar.motion import gaze_from_bearing
from appliance.behavior import tree
from appliance.behavior.runner import BehaviourRunner
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.engines.vision.base import Face
from appliance.engines.vision.engagement import bearing_from_x
from appliance.engines.vision.engine import VisionEngine
from appliance.engines.vision.fake import FakeFaceDetector
from appliance.frames import Frame, Reply
from appliance.settings import AvatarSettings, BehaviorSettings, Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker
from hw.camera import OpenCVCamera, SimCamera

RATE = 16_000
AVATAR = AvatarSettings(width=270, height=480, fps=5, window=False, mjpeg_port=0)
BEHAVIOUR = BehaviorSettings(tick_hz=10, vision_fps=10, camera_retry_s=30)
IMAGE = np.zeros((480, 640, 3), dtype=np.uint8)
VISITOR = Face(220, 120, 200, 200)  # close, facing the screen, in the middle
GREETING = "Hello! How can I help you today?"
ANSWER = "The toilets are past exit B."


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def make_kiosk(audio: np.ndarray, asr: list[str] | None = None) -> Kiosk:
    engines = Engines(FakeVad(), FakeAsr(asr or []), FakeNlu(), FakeQa({"find_toilet": ANSWER}),
                      FakeTts(RATE, seconds_per_char=0.02), PhonemeLipSync())
    mic = SimMicrophone(audio, realtime=True, tail_s=0.3)
    return Kiosk(Settings(), engines, mic, SimSpeaker(RATE, realtime=True))


def camera_and_vision(script: list[list[Face]]) -> tuple[SimCamera, VisionEngine]:
    camera = SimCamera([IMAGE], fps=10, loop=True)
    vision = VisionEngine(FakeFaceDetector(script), engage_after_s=0.2, leave_after_s=0.4)
    return camera, vision


def replies(kiosk: Kiosk) -> list[Reply]:
    seen: list[Reply] = []

    def on_frame(frame: Frame) -> None:
        if isinstance(frame, Reply):
            seen.append(frame)

    kiosk.pipeline.on_frame(on_frame)
    return seen


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def converse(kiosk: Kiosk, runner: BehaviourRunner, avatar: LiveAvatar | None,
                   then: Callable[[], bool] | None = None) -> None:
    """Run the kiosk until its microphone ends, with the runner (and avatar) alongside;
    then wait (bounded) for ``then`` to hold before stopping them."""
    if avatar is not None:
        avatar.attach(kiosk)
        avatar.start()
    runner.start()
    try:
        await asyncio.wait_for(kiosk.run(timeout=10), 15)
        if then is not None:
            await until(then)
    finally:
        await asyncio.wait_for(runner.stop(), 5)
        if avatar is not None:
            avatar.stop()


def names(runner: BehaviourRunner) -> list[str]:
    return [d.name for d in runner.decisions]


async def test_a_visitor_who_approaches_is_greeted_once() -> None:
    kiosk = make_kiosk(silence(2.5))
    said = replies(kiosk)
    camera, vision = camera_and_vision([[], [], [], [VISITOR]])  # then stays
    runner = BehaviourRunner(kiosk, BEHAVIOUR, camera=camera, vision=vision)
    await converse(kiosk, runner, None)

    assert [r.text for r in said] == [GREETING], said
    greeting = said[0]
    record = kiosk.recorder.turns[greeting.turn_id]
    assert record.audio and sum(len(a.pcm) for a in record.audio) > 0.5 * RATE
    played = np.concatenate(kiosk.speaker.recording)  # type: ignore[attr-defined]
    assert np.abs(played).max() > 1000, "the speaker never played the greeting"
    assert runner.counters["greetings"] == 1 and runner.counters["visitors"] == 1
    assert "greet" in names(runner) and runner.state.present and runner.state.engaged


async def test_a_visitor_leaving_mid_idle_gets_a_wave_then_the_attract_loop(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree, "FAREWELL_S", 0.5)
    kiosk = make_kiosk(silence(3.2))
    said = replies(kiosk)
    camera, vision = camera_and_vision([[], []] + [[VISITOR]] * 12 + [[]])  # then gone
    avatar = LiveAvatar(AVATAR, sinks=[])
    runner = BehaviourRunner(kiosk, BEHAVIOUR, avatar=avatar, camera=camera, vision=vision)
    await converse(kiosk, runner, avatar, then=lambda: runner.state.state == "attract"
                   and "farewell" in names(runner))

    seq = names(runner)
    assert "farewell" in seq and "attract" in seq[seq.index("farewell"):], seq
    assert [r.text for r in said] == [GREETING]  # no goodbye into an empty hall
    assert not runner.state.present
    assert runner.state.state == "attract"
    assert avatar.scene.state.mode == "attract"


async def test_a_camera_that_fails_to_open_is_reported_and_the_kiosk_still_answers() -> None:
    kiosk = make_kiosk(np.concatenate([tone(0.5), silence(1.5)]), asr=["where is the toilet"])
    said = replies(kiosk)
    events: list[tuple[str, dict[str, Any]]] = []
    camera = OpenCVCamera("/nonexistent/camera.mp4")
    vision = VisionEngine(FakeFaceDetector())
    runner = BehaviourRunner(kiosk, BEHAVIOUR, camera=camera, vision=vision,
                             publish=lambda kind, body: events.append((kind, body)))
    await converse(kiosk, runner, None)

    health = runner.health()["camera"]
    assert health["state"] == "failed" and health["code"] == "camera-open-failed", health
    assert ("camera-lost", {"code": "camera-open-failed",
                            "message": health["message"]}) in events
    assert [r.text for r in said] == [ANSWER]
    assert kiosk.recorder.answered and kiosk.recorder.answered[0].audio
    seq = names(runner)
    assert "listen" in seq and "speak" in seq, seq  # the voice stood in for presence
    assert runner.counters["greetings"] == 0


async def test_the_avatar_looks_toward_the_visitor_the_camera_sees() -> None:
    kiosk = make_kiosk(silence(1.0))
    side = Face(20, 140, 180, 180)  # the image's left: the visitor's right
    camera, vision = camera_and_vision([[side]])
    avatar = LiveAvatar(AVATAR, sinks=[])
    runner = BehaviourRunner(kiosk, BehaviorSettings(tick_hz=10, vision_fps=10, greet=False),
                             avatar=avatar, camera=camera, vision=vision)
    expected = gaze_from_bearing(bearing_from_x(side.x + side.w / 2, IMAGE.shape[1], 70.0))
    assert expected > 0.3

    def gaze() -> float:
        # the eyes' target, not the drawn gaze: saccades (sigma 0.07) would need luck
        return avatar.scene.state.looking_at(avatar.clock() + 5.0)

    avatar.start()
    runner.start()
    try:
        await until(lambda: abs(gaze() - expected) < 0.02)
        drawn = avatar.scene.state.pose_at(avatar.clock() + 5.0).gaze_x
        assert abs(drawn - expected) < 0.3  # the drawn eyes: the target plus a saccade
        await until(lambda: runner.state.present)  # the tree's next tick saw the approach
    finally:
        await asyncio.wait_for(runner.stop(), 5)
        avatar.stop()
    assert runner.counters["visitors"] == 1
