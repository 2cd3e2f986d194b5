"""BehaviourRunner decisions on plain numbers: lines, staff calls, fusion, dimming, settings."""

from __future__ import annotations

import asyncio
import datetime
import logging
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from appliance.app import Kiosk
from appliance.behavior.runner import BehaviourRunner
from appliance.behavior.tree import Event
from appliance.devices.presence import PresenceWatcher
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.engines.vision.base import Face
from appliance.engines.vision.engine import VisionEngine
from appliance.engines.vision.fake import FakeFaceDetector
from appliance.frames import (
    Emotion,
    Presence,
    Reply,
    SpeechEnded,
    SpeechStarted,
    Understanding,
)
from appliance.service.behaviour import presence_parts, register_staff_commands, start_behaviour
from appliance.settings import BehaviorSettings, CameraSettings, Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker
from hw.camera import SimCamera
from hw.display import DimSchedule, DisplayController, SimDisplay
from hw.health import DeviceHealth, HealthState

IMAGE = np.zeros((480, 640, 3), dtype=np.uint8)


def kiosk() -> Kiosk:
    engines = Engines(FakeVad(), FakeAsr(), FakeNlu(), FakeQa(), FakeTts(), PhonemeLipSync())
    return Kiosk(Settings(), engines, SimMicrophone(np.zeros(160, np.int16)), SimSpeaker())


class Said:
    """Stands in for ``Kiosk.say``: records the lines."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    async def __call__(self, text: str, style: str = "neutral") -> int:
        self.lines.append((text, style))
        return len(self.lines)


def seeing_runner(**kw: Any) -> tuple[BehaviourRunner, Said]:
    k = kiosk()
    said = Said()
    k.say = said  # type: ignore[method-assign]
    runner = BehaviourRunner(k, BehaviorSettings(), **kw)
    runner.watcher = SimpleNamespace(health=DeviceHealth("camera", HealthState.OK))
    return runner, said


def understood(intent: str) -> Understanding:
    return Understanding("...", intent, 0.9, emotion=Emotion())


async def test_each_visitor_is_greeted_once_and_not_over_a_conversation() -> None:
    runner, said = seeing_runner()
    runner.on_presence(Presence(1, False, 0.0, event="approached"))
    runner.on_presence(Presence(1, True, 0.0, event="engaged"))
    assert (await runner.tick(0.0)).name == "greet"
    await runner.tick(0.25)
    assert (await runner.tick(40.0)).name == "farewell"  # stood there silent 30 s
    await runner.tick(44.0)
    assert (await runner.tick(44.25)).name == "greet"  # still there: no second hello
    assert [text for text, _ in said.lines] == ["Hello! How can I help you today?",
                                                "Goodbye, have a safe journey!"]
    runner.on_presence(Presence(0, False, None, event="left"))
    await runner.tick(50.0)
    await runner.tick(60.0)
    runner.kiosk.conversation.pending_turn = 7  # an announcement is being prepared
    runner.on_presence(Presence(1, True, 0.0, event="engaged"))
    assert (await runner.tick(80.0)).name == "greet"
    assert len(said.lines) == 2  # not over the announcement
    assert runner.counters["greetings"] == 1 and runner.counters["farewells"] == 1


async def test_without_a_camera_the_kiosk_never_greets_and_the_voice_is_the_visitor() -> None:
    k = kiosk()
    said = Said()
    k.say = said  # type: ignore[method-assign]
    runner = BehaviourRunner(k, BehaviorSettings(attract_lines=True))
    await runner.tick(100.0)  # attract line time, but nobody can be seen
    runner.on_frame(SpeechStarted(0.0, turn_id=1))
    assert (await runner.tick(100.25)).name == "listen" and runner.state.present
    runner.on_frame(SpeechEnded(0.5, 0.5, np.zeros(0, np.int16), turn_id=1))
    await runner.tick(101.0)
    runner.post(Event("reply_started"))
    await runner.tick(101.5)
    runner.post(Event("reply_done"))
    await runner.tick(103.0)
    assert (await runner.tick(140.0)).name == "farewell"
    assert not runner.state.present  # the visit is over; nobody to say goodbye to
    assert said.lines == []


async def test_repeated_misunderstanding_pages_staff_until_staff_arrive() -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    runner, _ = seeing_runner(publish=lambda kind, body: events.append((kind, body)))
    handlers: dict[str, Any] = {}
    agent = SimpleNamespace(register_command=lambda name, fn: handlers.setdefault(name, fn))
    register_staff_commands(runner, agent, asyncio.get_running_loop())
    t = 0.0
    for _ in range(2):
        runner.on_frame(SpeechStarted(0.0))
        runner.on_frame(understood("out_of_scope"))
        t += 1
        decision = await runner.tick(t)
    assert decision.name == "handoff" and decision.actions == ("page_staff",)
    assert events == [("help_human", {"source": "behaviour", "reason": "repeated-misunderstanding",
                                      "state": "handoff"})]
    assert handlers["staff-arrived"]({}) == {"state": "handoff"}
    await asyncio.sleep(0.01)  # the command hops onto the loop
    assert (await runner.tick(t + 1)).name == "attract"


def alert_reply() -> Reply:
    return Reply("I'm calling station staff right now.", "emergency", "urgent",
                 "safety:alert/medical")


async def test_an_emergency_alerts_staff_once_unless_the_answer_engine_did() -> None:
    events: list[str] = []
    runner, _ = seeing_runner(publish=lambda kind, body: events.append(kind))
    runner.on_frame(understood("emergency"))  # the intent alone raises nothing
    assert (await runner.tick(0.5)).actions == ()
    runner.on_frame(alert_reply())
    assert (await runner.tick(1.0)).actions == ("alert_staff",)
    await runner.tick(2.0)
    assert events == ["emergency"]
    runner.post(Event("cleared"))
    assert (await runner.tick(3.0)).name != "emergency"
    runner.kiosk.engines.qa.on_event = print  # type: ignore[attr-defined]
    runner.on_frame(alert_reply())
    await runner.tick(4.0)
    assert events == ["emergency"]  # the dialogue's QA hook already sent this one


async def test_the_gaze_goes_to_the_face_the_voice_comes_from() -> None:
    near = Face(60, 100, 240, 240)  # big, the image's left: the visitor's right
    far = Face(480, 150, 100, 100)  # small, the image's right
    vision = VisionEngine(FakeFaceDetector([[near, far]]))
    voice: list[float | None] = [None]
    watcher = PresenceWatcher(SimCamera([IMAGE]), vision, asyncio.get_running_loop(),
                              lambda p: None, audio_bearing=lambda: voice[0])
    seen = [watcher.analyse(IMAGE, t / 10) for t in range(3)]
    first = next(p for p in seen if p is not None and p.nearest_bearing_deg is not None)
    assert first.nearest_bearing_deg is not None and first.nearest_bearing_deg > 10
    voice[0] = -20.0  # the small face on the visitor's left is talking
    moved = watcher.analyse(IMAGE, 0.4)
    assert moved is not None and moved.nearest_bearing_deg is not None
    assert -30 < moved.nearest_bearing_deg < -10 and moved.faces == 2


async def test_the_screen_dims_at_night_when_nobody_is_there() -> None:
    display = SimDisplay()
    schedule = DimSchedule(night_brightness_pct=30, idle_dim_after_s=0.0)
    runner = BehaviourRunner(kiosk(), BehaviorSettings(display_tick_s=0.05),
                             display=DisplayController(display, schedule),
                             wall_clock=lambda: datetime.time(23, 30))
    runner.start()
    try:
        async def dimmed() -> None:
            while display.brightness_pct != 30:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(dimmed(), 5)
    finally:
        await asyncio.wait_for(runner.stop(), 5)
    assert runner.health()["display"]["state"] == "ok"


def test_settings_decide_whether_there_is_a_camera(caplog: pytest.LogCaptureFixture,
                                                   tmp_path: Any) -> None:
    caplog.set_level(logging.INFO)
    assert presence_parts(Settings()) == (None, None)
    assert "camera off" in caplog.text
    no_video = Settings(camera=CameraSettings(enabled=True, source="sim"))
    assert presence_parts(no_video) == (None, None)
    assert "sim with no video" in caplog.text
    sim = Settings(camera=CameraSettings(enabled=True, source="sim", sim_source=str(tmp_path),
                                         fps=30))
    camera, vision = presence_parts(sim)
    assert isinstance(camera, SimCamera) and vision is not None
    assert vision.detect_every == 2  # 8 fps analysed, faces looked for at 5 fps


class FakeAgent:
    """The parts of ``TelemetryAgent`` the behaviour uses."""

    def __init__(self) -> None:
        self.commands: dict[str, Any] = {}
        self.health_source: Any = None
        self.events: list[tuple[str, dict[str, Any]]] = []

    def register_command(self, name: str, handler: Any) -> None:
        self.commands[name] = handler

    def set_health_source(self, source: Any) -> None:
        self.health_source = source

    def publish_event(self, kind: str, payload: dict[str, Any] | None = None) -> int:
        self.events.append((kind, payload or {}))
        return len(self.events)


async def test_kiosk_run_wiring_reports_camera_and_display_health_to_the_fleet() -> None:
    agent = FakeAgent()
    runner = start_behaviour(kiosk(), None, SimpleNamespace(agent=agent))  # type: ignore[arg-type]
    assert runner is not None
    try:
        assert set(agent.commands) == {"staff-arrived", "clear-emergency"}
        health = agent.health_source()
        assert health["camera"]["state"] == "off" and "display" in health
        assert health["visits"]["greetings"] == 0 and "engines" in health
    finally:
        await asyncio.wait_for(runner.stop(), 5)
    off = Settings(behavior=BehaviorSettings(enabled=False))
    k = kiosk()
    k.settings = off
    assert start_behaviour(k) is None
