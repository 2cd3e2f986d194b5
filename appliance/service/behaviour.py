"""Settings -> a running :class:`BehaviourRunner` for ``kiosk run``.

Reads ``[behavior]``, ``[camera]``, ``[vision]``, ``[display]`` and ``[mic_array]``,
says in the log what the kiosk will and will not do (no camera = no greeting on
approach), and never raises: a part that cannot be built is left out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from appliance.behavior.runner import BehaviourRunner
from appliance.behavior.tree import Event
from appliance.settings import Settings

if TYPE_CHECKING:
    from appliance.app import Kiosk
    from appliance.avatar.live import LiveAvatar
    from appliance.engines.vision.engine import VisionEngine
    from appliance.service.telemetry_link import TelemetryLink
    from hw.camera import Camera
    from hw.display import DisplayController

logger = logging.getLogger(__name__)


def presence_parts(settings: Settings) -> tuple[Camera | None, VisionEngine | None]:
    """The camera and vision engine ``[camera]``/``[vision]`` ask for, or (None, None)."""
    cam = settings.camera
    if not cam.enabled:
        logger.info("camera off ([camera] enabled = false): no greeting on approach; "
                    "the kiosk answers whoever speaks")
        return None, None
    if cam.source == "sim" and not cam.sim_source:
        logger.warning("camera: sim with no video ([camera] sim_source is empty): nobody will "
                       "be seen; the kiosk answers whoever speaks")
        return None, None
    from appliance.devices.hardware import build_camera, build_vision

    rate = min(float(cam.fps), settings.behavior.vision_fps)
    try:
        vision = build_vision(settings.vision, dataclasses.replace(cam, fps=max(1, round(rate))))
        camera = build_camera(cam)
    except Exception as exc:  # a missing cascade file, a bad source string
        logger.error("vision unavailable (%s); the kiosk answers whoever speaks", exc)
        return None, None
    logger.info("camera: %s, faces by %s, analysed at %.0f fps (frames never stored or sent)",
                camera.name, vision.detector.name, rate)
    return camera, vision


def display_controller(settings: Settings) -> DisplayController | None:
    """The screen's brightness control (sim where there is none)."""
    from appliance.devices.hardware import build_display

    try:
        ctl = build_display(settings.display)
    except Exception as exc:
        logger.error("display control unavailable: %s", exc)
        return None
    logger.info("display: %s, night %s-%s at %d%%", ctl.display.name,
                settings.display.night_start, settings.display.night_end,
                settings.display.night_brightness_pct)
    return ctl


def start_behaviour(kiosk: Kiosk, avatar: LiveAvatar | None = None,
                    link: TelemetryLink | None = None) -> BehaviourRunner | None:
    """Build and start the behaviour runner on the running loop (None when disabled)."""
    settings = kiosk.settings
    if not settings.behavior.enabled:
        logger.info("behaviour tree off ([behavior] enabled = false)")
        return None
    camera, vision = presence_parts(settings)
    agent = link.agent if link is not None else None
    runner = BehaviourRunner(kiosk, settings.behavior, avatar=avatar, camera=camera,
                             vision=vision, display=display_controller(settings),
                             publish=agent.publish_event if agent is not None else None,
                             array_bearing=settings.mic_array.enabled)
    runner.start()
    if agent is not None:
        register_staff_commands(runner, agent, asyncio.get_running_loop())
        from appliance.service.telemetry_link import kiosk_health

        agent.set_health_source(lambda: {**kiosk_health(kiosk), **runner.health()})
    return runner


def register_staff_commands(runner: BehaviourRunner, agent: Any,
                            loop: asyncio.AbstractEventLoop) -> None:
    """``cmd/staff-arrived`` ends a handoff, ``cmd/clear-emergency`` an emergency."""

    def command(kind: str) -> Any:
        def handler(_args: dict[str, Any]) -> dict[str, Any]:
            loop.call_soon_threadsafe(runner.post, Event(kind))
            return {"state": runner.state.state}
        return handler

    agent.register_command("staff-arrived", command("staff_arrived"))
    agent.register_command("clear-emergency", command("cleared"))
