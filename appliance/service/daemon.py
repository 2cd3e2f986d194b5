"""``kiosk run``: the long-running appliance process.

Under systemd (``Type=notify``) it says what it is doing in ``STATUS=`` lines,
sends ``READY=1`` once the models are loaded and the pipeline runs, and pings
the watchdog from the event loop, so a frozen loop gets the service restarted.
The live avatar (:class:`~appliance.avatar.live.LiveAvatar`) renders on its own
threads and streams to the display session (``kiosk display``); the behaviour
tree (:mod:`appliance.behavior.runner`) greets visitors the camera sees, and with
``[sign] input`` words fingerspelled at that camera are asked as questions
(:mod:`appliance.service.sign_input`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.app import Kiosk
from appliance.avatar.live import LiveAvatar
from appliance.avatar.touch.desk import mount_touch
from appliance.devices.audio import choose_audio
from appliance.engines.factory import create_engines, warm_up
from appliance.service.behaviour import start_behaviour
from appliance.service.sign_input import start_sign_input
from appliance.service.telemetry_link import start_telemetry
from appliance.settings import (
    ConfigProblem,
    Settings,
    default_log_path,
    health_snapshot_path,
    load_config,
)
from appliance.system import journal
from appliance.system.bootloop import take_out_of_service
from appliance.system.sdnotify import Notifier

logger = logging.getLogger(__name__)


RESTART_EXIT = 75
"""Exit status of a restart asked for by the fleet: non-zero, so systemd starts us again."""


def _undo_interrupted_update() -> dict[str, Any] | None:
    """Roll back a model update that a crash interrupted, before any engine loads a model."""
    from appliance.telemetry.update_swap import Snapshot

    try:
        return Snapshot().recover()
    except OSError as exc:
        logger.error("could not undo an interrupted update: %s", exc)
        return None


def _report_out_of_service(publish: Callable[..., int] | None) -> None:
    """Tell the fleet the kiosk was out of service after a boot loop (appliance/system/bootloop.py).

    Called once the engines are up, so a start that fails again leaves the report for
    the next one; the outbox spools it while the broker is away.
    """
    report = take_out_of_service()
    if report is None:
        return
    logger.warning("starting after being out of service: %s [%s]", report.get("reason"),
                   report.get("code", "bootloop-out-of-service"))
    if publish is not None:
        publish("out-of-service", {k: v for k, v in report.items() if k != "v"}, alarm=True)


async def serve(settings: Settings, duration: float | None = None,
                notifier: Notifier | None = None,
                restart: Callable[[], None] | None = None,
                config_problems: list[ConfigProblem] | None = None) -> Kiosk:
    """Load engines and devices, then converse until cancelled or ``duration`` passes.

    ``restart`` is what the fleet's ``restart`` command calls. ``config_problems``
    (values refused at load, running on fallbacks) go into every health report.
    """
    notifier = notifier or Notifier()
    loop = asyncio.get_running_loop()
    notifier.status("loading models")
    # renewed while models load, TensorRT engines build and warm up (a first start on a
    # Jetson builds every engine), up to sdnotify.EXTEND_LIMIT_S
    async with notifier.extending():
        undone = await loop.run_in_executor(None, _undo_interrupted_update)
        engines = await loop.run_in_executor(None, create_engines, settings)
        notifier.status("warming up the models")
        await loop.run_in_executor(None, warm_up, engines)
    for note in engines.notes:
        logger.warning("degraded: %s", note)
    audio = choose_audio(settings.audio, engines.tts.sample_rate, settings.mic_array)
    logger.info("audio: %s; engines: %s", audio.note, engines.describe())
    kiosk = Kiosk(settings, engines, audio.mic, audio.speaker)
    kiosk.config_problems = [p.as_dict() for p in config_problems or []]
    kiosk.degraded = list(audio.degraded)
    avatar = LiveAvatar(settings.avatar)
    avatar.attach(kiosk)
    mount_touch(kiosk, avatar.sinks)  # questions from the screen, next to the stream
    avatar.start()
    link = start_telemetry(kiosk, loop, avatar)
    if link is not None:
        link.on_restart = restart
        if undone is not None:
            link.agent.publish_event("update", {
                "id": str(undone.get("id", "")), "stage": "rolled-back", "reason": "interrupted",
                "bundle": str(undone.get("bundle", ""))[:300],
                "models": undone.get("models", [])}, alarm=True)
    _report_out_of_service(link.agent.publish_event if link is not None else None)
    behaviour = start_behaviour(kiosk, avatar, link)
    sign = start_sign_input(kiosk, behaviour)  # [sign] input: fingerspelling at the camera
    snapshots = asyncio.create_task(_keep_health_snapshot(kiosk), name="health-snapshot")
    watchdog = notifier.start_watchdog()
    logger.info("kiosk ready")
    notifier.ready(f"listening ({audio.mic.name})")
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await kiosk.run(timeout=duration)
    finally:
        notifier.stopping("shutting down")
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        notifier.close()
        snapshots.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await snapshots
        if sign is not None:
            await sign.stop()
        if behaviour is not None:
            await behaviour.stop()
        avatar.stop()
        if link is not None:
            await loop.run_in_executor(None, link.agent.stop, "shutdown")
    return kiosk


HEALTH_SNAPSHOT_S = 30.0


async def _keep_health_snapshot(kiosk: Kiosk) -> None:
    """Keep the kiosk's health on disk for `kiosk-provision diagnostics` (no fleet needed)."""
    from appliance.service.telemetry_link import kiosk_health

    path = health_snapshot_path()
    while True:
        try:
            doc = {"ts": time.time(), **kiosk_health(kiosk)}
            tmp = path.with_name(f".{path.name}.tmp")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(doc, default=str))
            os.replace(tmp, path)
        except (OSError, ValueError) as exc:  # diagnostics only: never stop the kiosk
            logger.debug("health snapshot not written: %s", exc)
        await asyncio.sleep(HEALTH_SNAPSHOT_S)


def run_service(args: argparse.Namespace) -> int:
    # never raises: every refused value is logged with its key and runs on its fallback
    config = load_config(Path(args.config) if args.config else None)
    settings = config.settings
    if not journal.under_systemd():  # no journal to ask later: keep a file (`logs` reads it)
        journal.log_to_file(Path(settings.telemetry.log_file) if settings.telemetry.log_file
                            else default_log_path())

    restarting = False

    async def main() -> None:
        def restart() -> None:
            nonlocal restarting
            restarting = True
            task.cancel()

        task = asyncio.create_task(serve(settings, args.duration, restart=restart,
                                         config_problems=config.problems))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        logger.info("kiosk stopped%s", " for a restart" if restarting else "")

    asyncio.run(main())
    return RESTART_EXIT if restarting else 0
