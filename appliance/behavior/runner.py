"""The behaviour tree, live: presence and conversation events in, the kiosk acts.

:class:`BehaviourRunner` turns pipeline frames (speech started/ended, understood
intent, reply started/done) and :class:`Presence` changes from the camera
(:class:`~appliance.devices.presence.PresenceWatcher`) into tree :class:`Event` s, ticks
:func:`~appliance.behavior.tree.decide` a few times a second on the kiosk's loop
and acts on each :class:`Decision`:

- ``say``: the greeting (once per visitor, never over a conversation), the farewell
  to someone still standing there, the attract line (only with ``attract_lines``)
  go through :meth:`Kiosk.say`, so they are spoken and lip-synced like any reply;
- ``expression`` and the tree's state set the avatar's emotion and mode; the gaze
  follows the active speaker (camera bearing fused with the array's DOA);
- ``page_staff`` / ``alert_staff`` go to the fleet as ``help_human`` / ``emergency``
  events (unless the answer engine already sent that one for the same intent);
- the screen follows the night dimming schedule (idle = no visitor seen or heard).

Without a camera (or once it failed) the visitor's voice stands in for presence:
speaking counts as engaged, and the visit ends when the tree says farewell.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from appliance.behavior.tree import BehaviorState, Decision, Event, decide
from appliance.frames import (
    Frame,
    Presence,
    Reply,
    ReplyDone,
    SpeechEnded,
    SpeechStarted,
    Understanding,
)
from appliance.settings import BehaviorSettings
from hw.health import DeviceHealth, HealthState

if TYPE_CHECKING:
    from appliance.app import Kiosk
    from appliance.avatar.live import LiveAvatar
    from appliance.engines.vision.engine import VisionEngine
    from hw.camera import Camera
    from hw.display import DisplayController

logger = logging.getLogger(__name__)

Publish = Callable[[str, dict[str, Any]], Any]

EXPRESSION_AFFECT: dict[str, tuple[float, float]] = {
    "neutral": (0.1, 0.3), "friendly": (0.35, 0.35), "smile": (0.7, 0.5),
    "attentive": (0.25, 0.45), "thinking": (0.05, 0.35), "concerned": (-0.3, 0.45),
    "reassuring": (0.3, 0.3), "sympathetic": (-0.15, 0.25), "alert": (-0.4, 0.85),
}
"""Tree expressions as (valence, arousal) for the avatar's face."""
LINE_STYLE = {"greet": "cheerful", "farewell": "cheerful", "attract": "cheerful"}
THINK_TIMEOUT_S = 15.0
"""Back to listening when no reply came this long after the visitor stopped."""
SAY_TIMEOUT_S = 2.0
STAFF_EVENTS = {"page_staff": ("help_human", "help_human"), "alert_staff": ("emergency",
                                                                            "emergency")}
"""Tree action -> (telemetry event, the intent for which the answer engine sends it)."""


class BehaviourRunner:
    """Runs the behaviour tree of one :class:`Kiosk` (call :meth:`start` on its loop)."""

    def __init__(self, kiosk: Kiosk, settings: BehaviorSettings, *,
                 avatar: LiveAvatar | None = None, camera: Camera | None = None,
                 vision: VisionEngine | None = None, display: DisplayController | None = None,
                 publish: Publish | None = None, array_bearing: bool = False,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime.time] = lambda: datetime.datetime.now().time(),
                 ) -> None:
        self.kiosk = kiosk
        self.settings = settings
        self.avatar = avatar
        self.camera = camera
        self.vision = vision
        self.display = display
        self.publish = publish
        self.array_bearing = array_bearing
        self.clock = clock
        self.wall_clock = wall_clock
        self.state = BehaviorState(since=clock(), last_activity=clock(),
                                   staff_link=publish is not None)
        self.decisions: list[Decision] = []
        """The last decisions that changed something (state, line or action), for tests/logs."""
        self.counters = {"visitors": 0, "greetings": 0, "farewells": 0, "staff_calls": 0}
        self.watcher: Any = None
        self._events: list[Event] = []
        self._voice = False
        self._said: set[str] = set()  # lines said to the current visitor
        self._visit = False  # the camera sees a visitor (approached, not yet left)
        self._expression = ""
        self._gesture: tuple[str, str] = ("", "")
        self._gaze: float | None = None
        self._last_intent = ""
        self._last_visitor = clock()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Listen to the pipeline, start the camera thread and the tick/dimming tasks."""
        loop = asyncio.get_running_loop()
        self.kiosk.pipeline.on_frame(self.on_frame)
        if self.camera is not None and self.vision is not None:
            from appliance.devices.presence import PresenceWatcher

            self.watcher = PresenceWatcher(self.camera, self.vision, loop, self.on_presence,
                                           fps=self.settings.vision_fps,
                                           audio_bearing=self._audio_bearing,
                                           on_failure=self.on_camera_failure,
                                           retry_s=self.settings.camera_retry_s)
            self.watcher.start()
        self._tasks.append(asyncio.create_task(self._tick_loop(), name="behaviour-tick"))
        if self.display is not None:
            self._tasks.append(asyncio.create_task(self._display_loop(), name="display-dim"))

    async def stop(self) -> None:
        """Stop ticking and release the camera."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.watcher is not None:
            await self.watcher.stop()

    @property
    def seeing(self) -> bool:
        """True while a working camera tells who is there."""
        return self.watcher is not None and self.watcher.health.state == HealthState.OK

    def health(self) -> dict[str, Any]:
        """``camera``, ``display`` and ``visits`` (counters), merged into the health report."""
        camera: dict[str, Any] = {"device": "camera", "state": "off"}
        if self.camera is not None:
            camera = {**self.camera.health.as_dict(), "name": self.camera.name}
        out: dict[str, Any] = {"camera": camera, "visits": dict(self.counters)}
        if self.display is not None:
            out["display"] = self.display.display.health.as_dict()
        return out

    # --- inputs (on the kiosk's loop) ---------------------------------------------------

    def post(self, event: Event) -> None:
        """An event for the next tick (staff commands, tests)."""
        self._events.append(event)

    def on_frame(self, frame: Frame) -> None:
        """A frame reached the end of the pipeline."""
        if isinstance(frame, SpeechStarted):
            self._voice = True
            self._last_visitor = self.clock()
            if not self.seeing and not self.state.present:
                self.post(Event("engaged"))  # a voice is someone there
            self.post(Event("speech_started"))
        elif isinstance(frame, SpeechEnded):
            self._voice = False
            self.post(Event("speech_ended"))
        elif isinstance(frame, Understanding):
            self._last_intent = frame.intent
            self.post(Event("understood", intent=frame.intent, emotion=frame.emotion.label))
        elif isinstance(frame, Reply):
            if frame.source.startswith("safety:alert"):
                self._last_intent = "emergency"  # the dialogue already called staff
                self.post(Event("alert"))
            self.post(Event("reply_started", style=frame.style))
        elif isinstance(frame, ReplyDone):
            self.post(Event("reply_done"))

    def on_presence(self, presence: Presence) -> None:
        """A change seen by the camera; its bearing is where the avatar should look."""
        if presence.faces:
            self._last_visitor = self.clock()
        if presence.event:
            self.post(Event(presence.event))
            if presence.event == "left":
                self._said.clear()
                self._visit = False
            elif not self._visit:  # "engaged" comes alone when both happen in one frame
                self._visit = True
                self.counters["visitors"] += 1
        self._look(presence)

    def on_camera_failure(self, health: DeviceHealth) -> None:
        """The camera failed or was lost: forget who was there, tell the fleet."""
        if self.state.present:
            self.post(Event("left"))
        if self.publish is not None:
            self.publish("camera-lost", {"code": health.code, "message": health.message})

    def _audio_bearing(self) -> float | None:
        """The talker's bearing from the microphone array, while someone talks."""
        if not self.array_bearing or not self._voice:
            return None
        bearing = getattr(self.kiosk.mic, "bearing_deg", None)
        return float(bearing) if isinstance(bearing, (int, float)) else None

    def _look(self, presence: Presence) -> None:
        self._gaze = presence.nearest_bearing_deg
        if self.avatar is not None:
            self.avatar.on_frame(presence)

    # --- deciding and acting --------------------------------------------------------------

    async def _tick_loop(self) -> None:
        period = 1.0 / max(0.5, self.settings.tick_hz)
        while True:
            await asyncio.sleep(period)
            try:
                await self.tick(self.clock())
            except Exception:  # a behaviour bug must not stop the kiosk
                logger.exception("behaviour tick failed")

    async def tick(self, now: float) -> Decision:
        """One decision of the tree, acted on."""
        events, self._events = self._events, []
        prev = self.state
        if prev.state == "think" and now - prev.since > THINK_TIMEOUT_S and not events:
            prev = replace(prev, state="listen", since=now, last_activity=now)
        decision = decide(prev, events, now)
        self.state = decision.state
        if decision.name != prev.state or decision.say or decision.actions:
            logger.debug("behaviour: %s -> %s (%s, %s) %s", prev.state, decision.name,
                         decision.gesture, decision.expression, decision.say or "")
            self.decisions = [*self.decisions[-49:], decision]
        if not self.seeing and self.array_bearing and self.watcher is None:
            bearing = self._audio_bearing()
            if bearing is not None and (self._gaze is None or abs(bearing - self._gaze) >= 3):
                self._look(Presence(faces=0, engaged=False, nearest_bearing_deg=bearing))
        if decision.say:
            await self._say(decision)
        for action in decision.actions:
            self._staff(action)
        self._show(decision, prev.state)
        if not self.seeing and decision.name == "farewell" and decision.state.present:
            self.state = replace(self.state, present=False, engaged=False)  # visit over
            self._said.clear()
        return decision

    async def _say(self, decision: Decision) -> None:
        kind = decision.name
        busy = self.kiosk.conversation.busy or self._voice
        if kind == "greet":
            allowed = self.settings.greet and self.seeing
        elif kind == "farewell":
            allowed = self.seeing
        else:
            allowed = self.settings.attract_lines and self.seeing
        if not allowed or busy or kind in self._said:
            logger.debug("behaviour: not saying the %s line", kind)
            return
        self._said.add(kind)
        if kind == "greet":
            self.counters["greetings"] += 1
        elif kind == "farewell":
            self.counters["farewells"] += 1
        logger.info("behaviour: %s: %r", kind, decision.say)
        try:
            await asyncio.wait_for(self.kiosk.say(decision.say, LINE_STYLE.get(kind, "neutral")),
                                   SAY_TIMEOUT_S)
        except asyncio.TimeoutError:
            logger.warning("behaviour: the %s line was not accepted in time", kind)

    def _staff(self, action: str) -> None:
        if action not in STAFF_EVENTS:
            return
        self.counters["staff_calls"] += 1
        kind, intent = STAFF_EVENTS[action]
        qa_sent = self._last_intent == intent and \
            getattr(self.kiosk.engines.qa, "on_event", None) is not None
        logger.warning("behaviour: %s (after intent %s)", action, self._last_intent or "-")
        if self.publish is None or qa_sent:
            return
        reason = "repeated-misunderstanding" if self._last_intent == "out_of_scope" \
            else self._last_intent or "behaviour"
        self.publish(kind, {"source": "behaviour", "reason": reason,
                            "state": self.state.state})

    def _show(self, decision: Decision, before: str) -> None:
        """The tree's expression and state on the avatar (the reply sets its own face)."""
        if self.avatar is None:
            return
        scene, now = self.avatar.scene, self.avatar.clock()
        if decision.expression != self._expression and decision.name != "speak":
            valence, arousal = EXPRESSION_AFFECT.get(decision.expression, (0.1, 0.3))
            scene.set_emotion(valence, arousal, now)
        self._expression = decision.expression
        if (decision.gesture, decision.name) != self._gesture:
            # every gesture the tree decides is drawn (once per decision, not per tick)
            self._gesture = (decision.gesture, decision.name)
            scene.perform(decision.gesture, now)
        if decision.name == before:
            return
        mode = scene.state.mode
        if decision.name == "think" and mode in ("idle", "listening", "attract"):
            scene.set_mode("thinking")
        elif decision.name in ("listen", "greet") and mode in ("attract", "thinking"):
            scene.set_mode("listening" if decision.name == "listen" else "idle")
        elif decision.name == "attract" and mode not in ("speaking", "out_of_service"):
            scene.set_mode("attract")

    async def _display_loop(self) -> None:
        assert self.display is not None
        loop = asyncio.get_running_loop()
        while True:
            idle = self.clock() - self._last_visitor
            if self.state.present or self.kiosk.conversation.busy:
                idle = 0.0
            try:
                await loop.run_in_executor(None, self.display.tick, self.wall_clock(), idle)
            except Exception:
                logger.exception("display dimming failed")
            await asyncio.sleep(self.settings.display_tick_s)
