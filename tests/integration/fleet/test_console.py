"""The fleet console: shared-subscription ingest with dedup, and the kiosk-fleet CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import SITE, broker_config, wait_for

from appliance.fleet import cli
from appliance.fleet.ingest import Ingester
from appliance.fleet.store import FleetStore, Incoming


def test_two_ingesters_share_the_load_and_dedup(broker: Any, pki: Any, make_agent: Any,
                                                tmp_path: Path) -> None:
    store = FleetStore(tmp_path / "fleet.db")
    a = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-a")), store).start()
    b = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-b")), store).start()
    try:
        agents = [make_agent(f"dev-{i}") for i in range(3)]
        for agent in agents:
            wait_for(lambda agent=agent: agent.listening, what="connect")
        sent = {agent.topics.device_id: [agent.publish_event("tick", {"i": i})
                                         for i in range(40)] for agent in agents}
        for dev, seqs in sent.items():
            wait_for(lambda dev=dev, seqs=seqs: set(seqs) <= set(store.seqs(dev, "evt/tick")),
                     what=f"{dev} stored")
        assert a.received > 0 and b.received > 0  # both got a share
        devices = {d["device_id"]: d for d in store.devices()}
        assert all(devices[f"dev-{i}"]["online"] for i in range(3))
        # a replayed message (same device, same seq) is stored once
        before = store.duplicates
        replay = json.dumps({"seq": sent["dev-0"][0], "i": 0, "historical": True}).encode()
        store.ingest([Incoming(f"kiosk/v1/{SITE}/dev-0/evt/tick", replay, time.time())])
        assert store.duplicates == before + 1
        assert store.seqs("dev-0", "evt/tick").count(sent["dev-0"][0]) == 1
    finally:
        a.stop()
        b.stop()
        store.close()


def _cli(broker: Any, pki: Any, db: Path, *argv: str) -> list[str]:
    base = ["--broker", f"localhost:{broker.port}", "--ca", str(pki.ca.ca_file),
            "--cert", str(pki.fleet.cert), "--key", str(pki.fleet.key), "--db", str(db), "--json"]
    return [*base, *argv]


def test_cli_devices_show_cmd_config_and_update(broker: Any, pki: Any, make_agent: Any,
                                                tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "fleet.db"
    agent = make_agent("dev-cli")
    agent.register_command("say", lambda args: {"said": args["text"]})
    assert cli.main(_cli(broker, pki, db, "ingest", "--for", "3")) == 0
    capsys.readouterr()
    assert cli.main(_cli(broker, pki, db, "devices")) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["v"] == 1
    devices = listed["devices"]
    assert devices[0]["device_id"] == "dev-cli" and devices[0]["online"]
    assert cli.main(_cli(broker, pki, db, "show", "dev-cli")) == 0
    shown = json.loads(capsys.readouterr().out)
    assert "say" in shown["birth"]["capabilities"]
    assert cli.main(_cli(broker, pki, db, "cmd", "dev-cli", "say", "text=hello")) == 0
    assert json.loads(capsys.readouterr().out)["result"] == {"said": "hello"}
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[audio]\nvolume = 0.5\n")
    assert cli.main(_cli(broker, pki, db, "config", "push", "--device", "dev-cli",
                         "--version", "2", "--file", str(cfg))) == 0
    wait_for(lambda: agent.config.version == 2, what="config applied")
    # no update handler registered on this device: the rollout fails and says so
    assert cli.main(_cli(broker, pki, db, "update", "--all", "--bundle", "/tmp/b.tar",
                         "--rate", "600", "--min-sample", "1", "--timeout", "10")) == 1
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["failed"] == ["dev-cli"] and summary["aborted"]


@pytest.mark.parametrize("argv, message", [
    (["cmd", "nobody", "say"], "unknown device 'nobody'"),
    (["--broker", "nohost", "cmd", "x", "say", "--site", "s"], "--broker must be host:port"),
    (["cmd", "x", "say", "oops", "--site", "s"], "not key=value"),
    (["config", "push", "--version", "1", "--file", "/nonexistent.json", "--device", "d",
      "--site", "s"], "No such file"),
])
def test_cli_errors_are_one_line(tmp_path: Path, capsys: Any, argv: list[str],
                                 message: str) -> None:
    code = cli.main(["--db", str(tmp_path / "f.db"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_config_push_reports_each_device_and_refuses_stale_versions(
        broker: Any, pki: Any, make_agent: Any, tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "fleet.db"
    good, bad_file = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text("[audio]\nvolume = 0.5\n")
    bad_file.write_text("[asr]\nengine = \"whsiper\"\n")
    agent = make_agent("dev-push")
    wait_for(lambda: agent.listening, what="connect")
    push = ["config", "push", "--device", "dev-push", "--site", SITE, "--wait", "15"]
    assert cli.main(_cli(broker, pki, db, *push, "--version", "3", "--file", str(good))) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["devices"][0]["status"] == "applied" and out["v"] == 1
    # a rejected push exits non-zero and says which key, which value, what is allowed
    assert cli.main(_cli(broker, pki, db, *push, "--version", "4", "--file",
                         str(bad_file))) == 1
    refused = json.loads(capsys.readouterr().out)["devices"][0]
    assert refused["status"] == "rejected" and "asr.engine" in refused["problems"][0]
    assert "whisper" in refused["problems"][0]
    # the refused v4 is still the retained desired: v4 again, or anything lower, is stale
    for version in ("4", "2"):
        assert cli.main(_cli(broker, pki, db, *push, "--version", version, "--file",
                             str(good))) == 1
        stale = json.loads(capsys.readouterr().out)["devices"][0]
        assert stale["status"] == "stale" and stale["error"] == "config-stale"
    assert agent.config.version == 3
    assert cli.main(_cli(broker, pki, db, *push, "--version", "5", "--file", str(good))) == 0


def test_a_command_to_a_device_nobody_listens_for_fails_fast(
        broker: Any, pki: Any, tmp_path: Path, capsys: Any) -> None:
    started = time.monotonic()
    code = cli.main(_cli(broker, pki, tmp_path / "f.db", "cmd", "dev-gone", "say", "text=hi",
                         "--site", SITE, "--timeout", "60"))
    assert code == 2 and time.monotonic() - started < 30
    assert "fleet-device-offline" in capsys.readouterr().err
