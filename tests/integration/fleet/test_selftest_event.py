"""A technician's self-test report reaches the fleet through the device's own outbox,
whether or not the kiosk is running at that moment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import SITE, wait_for

from appliance.errors import KioskError
from appliance.settings import state_dir
from appliance.telemetry.events import publish_selftest


def enroll(pki: Any, broker: Any, device_id: str) -> None:
    """What `kiosk-provision init` + `enroll` leave on the device."""
    ident = state_dir() / "identity"
    ident.mkdir(parents=True)
    issued = pki.device(device_id)
    shutil.copy(issued.cert, ident / "device.crt")
    shutil.copy(issued.key, ident / "device.key")
    shutil.copy(pki.ca.ca_file, ident / "ca.crt")
    (ident / "broker.json").write_text(json.dumps({"host": "localhost", "port": broker.port}))
    config = state_dir().parent.parent.parent / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'site = "{SITE}"\n')


def test_selftest_queued_offline_then_sent_and_while_running(
        kiosk_root: Path, fleet: Any, broker: Any, pki: Any, make_agent: Any) -> None:
    _client, rec = fleet
    enroll(pki, broker, "dev-st")
    publish_selftest({"ok": False, "failed": ["camera"]})  # the kiosk is not running yet
    agent = make_agent("dev-st", data_dir=state_dir() / "telemetry")
    first = wait_for(lambda: rec.on("dev-st/evt/selftest"), what="queued self-test")[0]
    assert first["failed"] == ["camera"] and first["type"] == "selftest"
    publish_selftest({"ok": True, "failed": []})  # while the agent runs, from another writer
    both = wait_for(lambda: len(rec.on("dev-st/evt/selftest")) >= 2 and
                    rec.on("dev-st/evt/selftest"), what="second self-test")
    assert both[1]["ok"] is True and both[1]["seq"] > first["seq"]
    agent.publish_event("help_human", {})  # the agent's own seq does not collide
    evt = wait_for(lambda: rec.on("dev-st/evt/help_human"), what="agent event")[0]
    assert evt["seq"] > both[1]["seq"]


def test_selftest_on_a_device_not_enrolled_says_so(kiosk_root: Path) -> None:
    with pytest.raises(KioskError) as err:
        publish_selftest({"ok": True})
    assert err.value.code == "not-enrolled"
