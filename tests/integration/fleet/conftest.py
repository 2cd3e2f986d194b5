"""Fixtures: a private PKI, a real Mosquitto with TLS + ACL, agents and a fleet client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import FLEET_IDENTITIES, SITE, Pki, Recorder, agent_settings, broker_config

from appliance.fleet.client import FleetClient
from appliance.telemetry import TelemetryAgent, builtins
from appliance.telemetry.mosquitto import MosquittoBroker
from appliance.telemetry.pki import CertAuthority


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


@pytest.fixture
def make_agent(broker: MosquittoBroker, pki: Pki,
               tmp_path: Path) -> Iterator[Callable[..., TelemetryAgent]]:
    agents: list[TelemetryAgent] = []

    def make(device_id: str = "dev-1", start: bool = True, data_dir: Path | None = None,
             **overrides: Any) -> TelemetryAgent:
        agent = TelemetryAgent(agent_settings(broker, pki, device_id, **overrides), site=SITE,
                               device_id=device_id, data_dir=data_dir or tmp_path / device_id)
        builtins.install(agent)  # rebirth, selftest, logs
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
