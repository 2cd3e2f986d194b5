"""``kiosk run`` wiring: the telemetry link registers ``update`` next to ``say``/``set-volume``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from appliance.service.telemetry_link import TelemetryLink
from appliance.settings import TelemetrySettings
from appliance.telemetry import TelemetryAgent, builtins
from appliance.telemetry.update import Updater


def test_kiosk_run_answers_update(kiosk_root: Path) -> None:
    agent = TelemetryAgent(TelemetrySettings(enabled=True), site="s", device_id="dev-1",
                           data_dir=kiosk_root / "telemetry")
    builtins.install(agent)  # rebirth, selftest, logs
    kiosk = SimpleNamespace(pipeline=SimpleNamespace(on_frame=lambda _fn: None))
    loop = asyncio.new_event_loop()
    try:
        link = TelemetryLink(kiosk, agent, loop)  # type: ignore[arg-type]
        assert {"say", "set-volume", "update"} <= set(agent.router.names())
        assert isinstance(link.updater, Updater)
        assert link.updater.download_dir == kiosk_root / "telemetry" / "downloads"
    finally:
        loop.close()
        agent.stop()
