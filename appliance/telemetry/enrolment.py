"""Is this device on the fleet? Telemetry settings after enrolment (``broker.json``)."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from appliance.settings import Settings, TelemetrySettings, state_dir

logger = logging.getLogger(__name__)

DEFAULT_HOST = TelemetrySettings().host
DEFAULT_PORT = TelemetrySettings().port


def broker_file() -> Path:
    """Where ``kiosk-provision enroll`` writes the broker address."""
    return state_dir() / "identity" / "broker.json"


def effective_telemetry(settings: Settings) -> TelemetrySettings | None:
    """Telemetry settings to use, or None when the device is neither enabled nor enrolled.

    Enrolment turns telemetry on; explicit ``host``/``port`` in kiosk.toml win over
    the enrolled broker address.
    """
    tel = settings.telemetry
    broker: dict[str, Any] = {}
    path = broker_file()
    if path.exists():
        try:
            broker = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            logger.error("telemetry: unreadable %s (%s)", path, exc)
    if not tel.enabled and not broker:
        return None
    host = tel.host if tel.host != DEFAULT_HOST else str(broker.get("host", tel.host))
    port = tel.port if tel.port != DEFAULT_PORT else int(broker.get("port", tel.port))
    return dataclasses.replace(tel, enabled=True, host=host, port=port)
