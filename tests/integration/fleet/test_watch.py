"""`kiosk-fleet watch` against a real broker and a real agent: the console's table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import broker_config, wait_for

from appliance.fleet import cli
from appliance.fleet.ingest import Ingester
from appliance.fleet.store import FleetStore


def test_watch_shows_the_live_device_with_its_health(broker: Any, pki: Any, make_agent: Any,
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "fleet.db"
    agent = make_agent("dev-watch", heartbeat_s=30)
    wait_for(lambda: agent.listening, what="connect")
    store = FleetStore(db)
    ingester = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-a")),
                        store).start()
    try:
        agent.health_now()
        wait_for(lambda: any(d["health"] for d in store.devices()), what="health stored")
    finally:
        ingester.stop()
        store.close()
    # the store already holds the device: the first table drawn shows it
    argv = ["--broker", f"localhost:{broker.port}", "--ca", str(pki.ca.ca_file),
            "--cert", str(pki.fleet_identity("fleet.console").cert),
            "--key", str(pki.fleet_identity("fleet.console").key), "--db", str(db),
            "watch", "--for", "0.5", "--interval", "0.5"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "dev-watch" in line)
    assert "ONLINE" in row and "s ago" in row
    assert "OUTBOX" in out and "1 devices, 1 online, 0 stale, 0 offline" in out
