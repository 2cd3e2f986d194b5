"""Events from processes other than ``kiosk run`` (the technician's self-test).

They go into the device's on-disk outbox, the same one the running agent sends
from: nothing is lost if the kiosk is stopped or offline, ``seq`` stays unique,
and no second MQTT connection fights the agent for the device's client id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.errors import KioskError
from appliance.settings import load, state_dir
from appliance.telemetry.agent_io import cert_path
from appliance.telemetry.enrolment import effective_telemetry
from appliance.telemetry.outbox import Outbox
from appliance.telemetry.topics import DeviceTopics


def queue_event(kind: str, payload: dict[str, Any], *, data_dir: Path | None = None,
                critical: bool = False) -> int:
    """Queue ``evt/<kind>`` for the agent to send; returns its seq."""
    import time

    from appliance.telemetry import pki

    settings, _ = load()
    tel = effective_telemetry(settings)
    if tel is None:
        raise KioskError("the device is not enrolled on a fleet (kiosk-provision enroll)",
                         code="not-enrolled")
    device_id = settings.device_id or pki.common_name(Path(cert_path(tel)))
    topics = DeviceTopics(settings.site, device_id)
    outbox = Outbox((data_dir or state_dir() / "telemetry") / "outbox.db",
                    tel.outbox_max_messages, tel.outbox_sync)
    try:
        return outbox.put(topics.evt(kind), {"ts": time.time(), "type": kind, **payload},
                          critical=critical)
    finally:
        outbox.close()


def publish_selftest(report: dict[str, Any]) -> None:
    """The self-test report as ``evt/selftest`` (provisioning's hook)."""
    queue_event("selftest", report)
