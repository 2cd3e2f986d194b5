"""Fixtures: a private PKI, a real Mosquitto with TLS + ACL, agents and a fleet client."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fleet_helpers import SITE

from appliance.fleet.client import BrokerConfig, FleetClient
from appliance.settings import TelemetrySettings
from appliance.telemetry import TelemetryAgent
from appliance.telemetry.mosquitto import FLEET_USER, MosquittoBroker
from appliance.telemetry.pki import CertAuthority, Issued

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


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    p = Pki(root)
    p.revoked = p.ca.issue("dev-revoked")  # type: ignore[attr-defined]
    p.ca.revoke(p.revoked)  # type: ignore[attr-defined]
    p.ca.write_crl()
    p.expired = p.ca.issue("dev-expired", expired=True)  # type: ignore[attr-defined]
    p.rogue = CertAuthority(root / "rogue", "rogue-ca").issue("dev-rogue")  # type: ignore[attr-defined]
    return p


@pytest.fixture
def broker(pki: Pki, tmp_path: Path) -> Iterator[MosquittoBroker]:
    b = MosquittoBroker(tmp_path / "broker", ca_file=pki.ca.ca_file, cert_file=pki.server.cert,
                        key_file=pki.server.key, crl_file=pki.ca.out / "crl.pem",
                        fleet_users=FLEET_IDENTITIES)
    b.start()
    yield b
    b.stop()


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


@pytest.fixture
def fleet(broker: MosquittoBroker, pki: Pki) -> Iterator[tuple[FleetClient, Recorder]]:
    """A fleet host (presence announced) recording everything under kiosk/v1."""
    rec = Recorder()
    client = FleetClient(broker_config(broker, pki, pki.fleet_identity("fleet.host")),
                         client_id="fleet.host", host_presence=True)
    client.subscribe("kiosk/v1/#", rec)
    client.connect()
    yield client, rec
    client.close()


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


@pytest.fixture
def make_agent(broker: MosquittoBroker, pki: Pki,
               tmp_path: Path) -> Iterator[Callable[..., TelemetryAgent]]:
    agents: list[TelemetryAgent] = []

    def make(device_id: str = "dev-1", start: bool = True, data_dir: Path | None = None,
             **overrides: Any) -> TelemetryAgent:
        agent = TelemetryAgent(agent_settings(broker, pki, device_id, **overrides), site=SITE,
                               device_id=device_id, data_dir=data_dir or tmp_path / device_id)
        agents.append(agent)
        if start:
            agent.start()
        return agent

    yield make
    for agent in agents:
        agent.stop()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster (skipped where PostgreSQL or psycopg is missing)."""
    from pg_cluster import PgCluster, find_bindir

    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install psycopg[binary])")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: "
                    "apt-get install postgresql")
    cluster = PgCluster(bindir)
    try:
        cluster.start()  # binaries present but no server: a failure, not a skip
    except BaseException:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Any, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database of the throwaway cluster."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    return str(pg_cluster.new_database(name))
