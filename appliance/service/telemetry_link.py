"""Connect the running kiosk to the fleet: health, birth, events and commands over MQTT.

The telemetry agent runs in its own threads; command handlers hop onto the
kiosk's event loop with ``run_coroutine_threadsafe`` and wait a bounded time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from appliance import __version__
from appliance.app import Kiosk
from appliance.errors import InputError, KioskError
from appliance.frames import Frame, StageError
from appliance.telemetry import builtins
from appliance.telemetry.enrolment import effective_telemetry

logger = logging.getLogger(__name__)

def kiosk_health(kiosk: Kiosk) -> dict[str, Any]:
    """The kiosk's part of a health report: engines, conversation, audio devices.

    ``status`` is ``degraded`` with every reason in ``degraded`` when a device runs on
    its sim twin, an engine fell back, or a setting was refused (``config_problems``:
    key, value, allowed). Each of ``kiosk.health_parts`` adds its own key (``sign_input``).
    """
    recent = kiosk.recorder.health()
    engines = {family: {"name": name, "state": "ok"}
               for family, name in kiosk.engines.describe().items()}
    for note in kiosk.engines.notes:
        engines.setdefault(note.split()[0], {})["state"] = "degraded"
    degraded = list(kiosk.degraded) + [f"engine: {note}" for note in kiosk.engines.notes]
    degraded += [f"config: {p['key']} = {p['value']!r} refused; running on its fallback"
                 for p in kiosk.config_problems]
    parts = {key: part() for key, part in kiosk.health_parts.items()}
    return {"status": "degraded" if degraded else "ok", "degraded": degraded,
            "config_problems": list(kiosk.config_problems),
            "engines": engines, "conversation": recent["counters"],
            "latency_ms": recent["latency_ms"],
            "audio": {"mic": kiosk.mic.name, "speaker": kiosk.speaker.name,
                      "mic_dropped_frames": kiosk.vad.dropped}, **parts}


class TelemetryLink:
    """Wires a :class:`Kiosk` to a started ``TelemetryAgent``."""

    def __init__(self, kiosk: Kiosk, agent: Any, loop: asyncio.AbstractEventLoop,
                 avatar: Any = None) -> None:
        self.kiosk = kiosk
        self.agent = agent
        self.loop = loop
        agent.set_health_source(lambda: kiosk_health(kiosk))
        agent.set_birth_source(self._birth)
        agent.register_command("say", self._say)
        agent.register_command("set-volume", self._set_volume)
        # offered only where they work; elsewhere the router answers cmd-unsupported
        if builtins.under_systemd():  # systemd starts the kiosk again after the exit
            agent.register_command("restart", self._restart)
        if builtins.reboot_permitted():
            agent.register_command("reboot", builtins.reboot)
        jpeg = _frame_source(avatar)
        if jpeg is not None:
            agent.register_command("screenshot", lambda _args: builtins.screenshot(jpeg))
        self.on_restart: Callable[[], None] | None = None
        from appliance.service.fleet_config import FleetConfigApplier

        self.config = FleetConfigApplier(kiosk, agent.config.active["config"],
                                         self._restart_soon, builtins.under_systemd())
        agent.set_config_hook(self.config.apply)
        from appliance.telemetry import update  # signed bundles, health-checked, rolled back

        self.updater = update.install(agent)
        kiosk.pipeline.on_frame(self._on_frame)

    def _birth(self) -> dict[str, Any]:
        return {"firmware": __version__, "engines": self.kiosk.engines.describe(),
                "site": self.kiosk.settings.site}

    def _on_frame(self, frame: Frame) -> None:
        if isinstance(frame, StageError):
            self.agent.publish_event("engine-failed", {"stage": frame.stage, "code": frame.code,
                                                       "message": frame.message[:500],
                                                       "turn_id": frame.turn_id})

    def on_kiosk_event(self, event: Any) -> None:
        """QA hook: staff pager and emergencies go out as alarms."""
        self.agent.publish_event(event.kind, event.as_dict())

    def _say(self, args: dict[str, Any]) -> dict[str, Any]:
        text = str(args.get("text", "")).strip()
        if not text or len(text) > 1000:
            raise InputError("say needs 'text' (1..1000 characters)")
        future = asyncio.run_coroutine_threadsafe(self.kiosk.say(text), self.loop)
        try:
            future.result(timeout=10)
        except concurrent.futures.TimeoutError as exc:  # not the builtin on Python 3.10
            raise KioskError("the kiosk did not accept the line in time", code="busy",
                             retryable=True) from exc
        return {"queued": text}

    def _restart(self, args: dict[str, Any]) -> dict[str, Any]:
        """Stop cleanly with a non-zero status; systemd starts the kiosk again (new models)."""
        if self.on_restart is None or not builtins.under_systemd():
            raise KioskError("this kiosk is not running under systemd: it would not be "
                             "started again", code="cmd-unsupported")
        delay = 1.0  # let the reply leave first
        self.loop.call_soon_threadsafe(self.loop.call_later, delay, self.on_restart)
        return {"restarting_in_s": delay}

    def _restart_soon(self) -> None:
        """A pushed config that needs a rebuild: restart once its report has left."""
        if self.on_restart is not None:
            self.loop.call_soon_threadsafe(self.loop.call_later, 2.0, self.on_restart)

    def _set_volume(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            volume = float(args["volume"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError("set-volume needs a numeric 'volume' (0..2)") from exc
        if not 0.0 <= volume <= 2.0:
            raise InputError("volume must be between 0 and 2")
        self.kiosk.speaker.volume = volume
        return {"volume": volume}


def _frame_source(avatar: Any) -> Callable[[], bytes | None] | None:
    """The avatar's current frame as JPEG, if one of its sinks serves it (the MJPEG stream)."""
    for sink in getattr(avatar, "sinks", []) or []:
        jpeg = getattr(sink, "jpeg", None)
        if callable(jpeg):
            return lambda: jpeg(timeout=2.0)  # type: ignore[no-any-return]
    return None


def start_telemetry(kiosk: Kiosk, loop: asyncio.AbstractEventLoop,
                    avatar: Any = None) -> TelemetryLink | None:
    """Start the agent if the device is enrolled or telemetry is enabled; never raises.

    ``avatar`` (the live avatar) lets the fleet take a ``screenshot``.
    """
    tel = effective_telemetry(kiosk.settings)
    if tel is None:
        logger.info("telemetry off: device not enrolled (kiosk-provision enroll)")
        return None
    try:
        from appliance.telemetry import TelemetryAgent

        settings = dataclasses.replace(kiosk.settings, telemetry=tel)
        agent = TelemetryAgent.from_settings(settings)
        builtins.install(agent)  # rebirth, selftest, logs
        link = TelemetryLink(kiosk, agent, loop, avatar)
        if hasattr(kiosk.engines.qa, "on_event"):
            kiosk.engines.qa.on_event = link.on_kiosk_event
        agent.start()
    except (KioskError, OSError, ValueError) as exc:
        logger.error("telemetry unavailable: %s", exc)
        return None
    logger.info("telemetry: %s:%d as %s", tel.host, tel.port, agent.topics.device_id)
    return link

