"""Helpers shared by the fleet integration tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from appliance.fleet.client import BrokerConfig
from appliance.settings import TelemetrySettings
from appliance.telemetry.mosquitto import FLEET_USER, MosquittoBroker
from appliance.telemetry.pki import CertAuthority, Issued

SITE = "test-site"


def wait_for(cond: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``cond`` until truthy; fail the test with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


FLEET_IDENTITIES = (FLEET_USER, "fleet.host", "fleet.ingest-a", "fleet.ingest-b",
                    "fleet.console")
"""The fleet CNs the test broker's ACL knows. The broker takes the client id from the
certificate, so two clients that run at once need two of these."""


class Pki:
    """The test CA, the broker's and the fleet's certificates, devices on demand."""

    def __init__(self, root: Path) -> None:
        self.ca = CertAuthority(root)
        self.server = self.ca.issue("localhost", server=True)
        self.fleet = self.ca.issue(FLEET_USER)
        self._devices: dict[str, Issued] = {}
        self._fleet: dict[str, Issued] = {FLEET_USER: self.fleet}

    def fleet_identity(self, cn: str) -> Issued:
        """A fleet certificate (``fleet.host``, ``fleet.ingest-a``...): one per client."""
        assert cn in FLEET_IDENTITIES, f"{cn} is not in the test broker's ACL"
        if cn not in self._fleet:
            self._fleet[cn] = self.ca.issue(cn)
        return self._fleet[cn]

    def device(self, device_id: str) -> Issued:
        if device_id not in self._devices:
            self._devices[device_id] = self.ca.issue(device_id)
        return self._devices[device_id]


def broker_config(broker: MosquittoBroker, pki: Pki, issued: Issued | None = None) -> BrokerConfig:
    who = issued or pki.fleet
    return BrokerConfig("localhost", broker.port, str(pki.ca.ca_file), str(who.cert),
                        str(who.key))


class Recorder:
    """Collects every message a subscription sees."""

    def __init__(self) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self._lock = threading.Lock()

    def __call__(self, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(msg)

    def on(self, suffix: str) -> list[dict[str, Any]]:
        with self._lock:
            msgs = [m for m in self.messages if m.topic.endswith(suffix)]
        return [json.loads(m.payload) if m.payload else {} for m in msgs]


def agent_settings(broker: MosquittoBroker, pki: Pki, device_id: str,
                   **overrides: Any) -> TelemetrySettings:
    issued = pki.device(device_id)
    base = TelemetrySettings(
        enabled=True, host="localhost", port=broker.port, ca_file=str(pki.ca.ca_file),
        cert_file=str(issued.cert), key_file=str(issued.key), keepalive_s=10,
        heartbeat_s=3600, health_min_interval_s=3600, backoff_initial_s=0.2,
        backoff_max_s=1.0,
    )
    return replace(base, **overrides)
