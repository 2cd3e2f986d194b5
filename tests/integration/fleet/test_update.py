"""The ``update`` command against the real broker: install, refuse, roll back, staged rollout."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import SITE, broker_config, wait_for
from update_helpers import BundleShop, serve

from appliance.fleet import cli
from appliance.runtime.manifest import load_manifest
from appliance.runtime.store import sha256_file, verify_model
from appliance.telemetry import update
from appliance.telemetry.update_swap import Snapshot


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BundleShop:
    return BundleShop(tmp_path / "shop", monkeypatch)


def _stages(rec: Any, device: str, cmd_id: str) -> list[str]:
    return [e["stage"] for e in rec.on(f"{device}/evt/update") if e.get("id") == cmd_id]


def _failing_check(_models: list[str]) -> None:
    raise RuntimeError("engine smoke test: no audio out of the new voice")


def test_a_good_bundle_by_url_updates_and_reports(fleet: Any, make_agent: Any,
                                                  shop: BundleShop) -> None:
    client, rec = fleet
    shop.trust()
    agent = make_agent("dev-u1")
    update.install(agent)
    wait_for(lambda: rec.on("dev-u1/birth"), what="birth")
    assert "update" in rec.on("dev-u1/birth")[-1]["capabilities"]
    bundle = shop.bundles[2]
    with serve(bundle.parent) as base:
        reply = client.command(SITE, "dev-u1", "update",
                               {"bundle": f"{base}/{bundle.name}",
                                "sha256": sha256_file(bundle)}, cmd_id="up-1", timeout=60)
    assert reply["status"] == "ok", reply
    assert reply["result"]["versions"] == {"tiny": "2"}
    assert shop.installed_model() == shop.models[2]
    assert verify_model(load_manifest()["tiny"]).ok
    wait_for(lambda: "done" in _stages(rec, "dev-u1", "up-1"), what="done event")
    assert _stages(rec, "dev-u1", "up-1") == [
        "downloading", "downloading", "verifying", "installing", "health-check", "done"]
    assert not list((agent.data_dir / "downloads").iterdir())  # the download is removed
    assert (shop.models_dir / ".update/previous").is_dir()  # kept for a manual rollback


def test_a_tampered_bundle_is_refused_before_anything_is_written(
        fleet: Any, make_agent: Any, shop: BundleShop, tmp_path: Path) -> None:
    client, rec = fleet
    shop.trust()
    agent = make_agent("dev-u2")
    update.install(agent)
    wait_for(lambda: agent.listening, what="connect")
    bad = tmp_path / "www-bad" / "tiny-2.kbundle"
    bad.parent.mkdir()
    with tarfile.open(shop.bundles[2]) as src, tarfile.open(bad, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name.endswith("tiny.onnx"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(m, io.BytesIO(data))
    with serve(bad.parent) as base:
        reply = client.command(SITE, "dev-u2", "update", {"bundle": f"{base}/{bad.name}"},
                               cmd_id="up-2", timeout=60)
    assert reply["status"] == "error" and reply["code"] == "bundle-rejected", reply
    assert "sha256" in reply["error"]
    assert not shop.models_dir.exists()  # no model, no snapshot, no overlay
    assert not list((agent.data_dir / "downloads").iterdir())
    wait_for(lambda: "failed" in _stages(rec, "dev-u2", "up-2"), what="failed event")
    assert "installing" not in _stages(rec, "dev-u2", "up-2")
    # a wrong whole-file hash and a missing trust key are refused the same way
    reply = client.command(SITE, "dev-u2", "update",
                           {"bundle": str(shop.bundles[2]), "sha256": "0" * 64}, timeout=60)
    assert reply["code"] == "update-hash-mismatch"
    (shop.device / "var/lib/kiosk/identity/update-signing.pub").unlink()
    reply = client.command(SITE, "dev-u2", "update", {"bundle": str(shop.bundles[2])},
                           timeout=60)
    assert reply["code"] == "update-no-key"
    assert not shop.models_dir.exists()


def test_a_failed_health_check_rolls_back_to_the_previous_models(
        fleet: Any, make_agent: Any, shop: BundleShop) -> None:
    client, rec = fleet
    shop.trust()
    agent = make_agent("dev-u3")
    updater = update.install(agent)
    wait_for(lambda: agent.listening, what="connect")
    first = client.command(SITE, "dev-u3", "update", {"bundle": str(shop.bundles[1])},
                           timeout=60)
    assert first["status"] == "ok" and shop.installed_model() == shop.models[1]
    overlay_before = (shop.models_dir / "manifest.json").read_bytes()
    updater.health_check = _failing_check
    reply = client.command(SITE, "dev-u3", "update", {"bundle": str(shop.bundles[2])},
                           cmd_id="up-3", timeout=60)
    assert reply["status"] == "error" and reply["code"] == "update-health-failed", reply
    assert "rolled back" in reply["error"] and "no audio" in reply["error"]
    assert shop.installed_model() == shop.models[1]  # the previous model, intact
    assert (shop.models_dir / "manifest.json").read_bytes() == overlay_before
    spec = load_manifest()["tiny"]
    assert spec.version == "1" and verify_model(spec).ok
    assert not (shop.models_dir / ".update/journal.json").exists()
    assert not [p for p in shop.models_dir.iterdir() if p.name.startswith((".failed", ".old"))]
    rolled = wait_for(lambda: [e for e in rec.on("dev-u3/evt/update")
                               if e.get("id") == "up-3" and e["stage"] == "rolled-back"],
                      what="rolled-back event")[0]
    assert rolled["models"] == ["tiny"] and "no audio" in rolled["reason"]


def test_an_update_killed_mid_way_is_rolled_back_at_the_next_start(shop: BundleShop,
                                                                   tmp_path: Path) -> None:
    shop.trust()
    events: list[tuple[str, dict[str, Any]]] = []
    publish = lambda kind, body, alarm=False: events.append((kind, body))  # noqa: E731
    updater = update.Updater(publish, download_dir=tmp_path / "dl")
    assert updater.handle({"bundle": str(shop.bundles[1])})["versions"] == {"tiny": "1"}
    # the process dies after the swap, before the health check finished
    Snapshot().take(["tiny"], bundle="tiny-2.kbundle", id="up-dead")
    from appliance.runtime.bundle import install_bundle

    install_bundle(shop.bundles[2], shop.pub)
    assert shop.installed_model() == shop.models[2]
    restarted = update.Updater(publish, download_dir=tmp_path / "dl")
    assert restarted.recovered is not None and restarted.recovered["id"] == "up-dead"
    assert shop.installed_model() == shop.models[1]
    assert events[-1][1]["stage"] == "rolled-back" and events[-1][1]["reason"] == "interrupted"


def _cli(broker: Any, pki: Any, db: Path, *argv: str) -> list[str]:
    cfg = broker_config(broker, pki)
    return ["--broker", f"localhost:{cfg.port}", "--ca", cfg.ca_file, "--cert", cfg.cert_file,
            "--key", cfg.key_file, "--db", str(db), "--json", *argv]


def test_staged_rollout_updates_every_device_then_aborts_a_bad_one(
        fleet: Any, broker: Any, pki: Any, make_agent: Any, shop: BundleShop, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Three in-process devices (they share one KIOSK_ROOT, so their installs take turns)."""
    _client, rec = fleet
    shop.trust()
    devices = ["dev-r1", "dev-r2", "dev-r3"]
    updaters = {}
    for dev in devices:
        updaters[dev] = update.install(make_agent(dev))
    for dev in devices:
        wait_for(lambda dev=dev: rec.on(f"{dev}/birth"), what=f"{dev} birth")
    targets = [arg for dev in devices for arg in ("--device", dev)]
    db = tmp_path / "fleet.db"
    code = cli.main(_cli(broker, pki, db, "update", *targets, "--site", SITE,
                         "--bundle", str(shop.bundles[2]), "--sha256",
                         sha256_file(shop.bundles[2]), "--rate", "600", "--parallel", "2",
                         "--timeout", "60"))
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0, summary
    assert sorted(summary["ok"]) == devices and not summary["aborted"]
    for dev in devices:
        wait_for(lambda dev=dev: [e for e in rec.on(f"{dev}/evt/update") if e["stage"] == "done"],
                 what=f"{dev} done")
    assert shop.installed_model() == shop.models[2]
    # version 1 with a health check that fails on every device: abort after two
    for dev in devices:
        updaters[dev].health_check = _failing_check
    code = cli.main(_cli(broker, pki, db, "update", *targets, "--site", SITE,
                         "--bundle", str(shop.bundles[1]), "--rate", "600", "--parallel", "1",
                         "--min-sample", "2", "--abort-pct", "50", "--timeout", "60"))
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 1 and summary["aborted"], summary
    assert summary["failed"] == ["dev-r1", "dev-r2"] and summary["not_started"] == ["dev-r3"]
    assert shop.installed_model() == shop.models[2]  # every failed device rolled back
    assert load_manifest()["tiny"].version == "2"


def test_a_second_update_while_one_runs_is_refused_busy(shop: BundleShop, tmp_path: Path) -> None:
    import threading

    shop.trust()
    gate, entered = threading.Event(), threading.Event()

    def slow_check(_models: list[str]) -> None:
        entered.set()
        gate.wait(30)

    updater = update.Updater(lambda *_a, **_k: None, download_dir=tmp_path / "dl",
                             health_check=slow_check)
    first: list[Any] = []
    worker = threading.Thread(target=lambda: first.append(
        updater.handle({"bundle": str(shop.bundles[1])})))
    worker.start()
    try:
        assert entered.wait(30)
        with pytest.raises(update.UpdateError) as err:
            updater.handle({"bundle": str(shop.bundles[2])})
        assert err.value.code == "update-busy"
    finally:
        gate.set()
        worker.join(30)
    assert first[0]["versions"] == {"tiny": "1"} and shop.installed_model() == shop.models[1]


def test_an_older_bundle_is_refused_as_a_downgrade_before_anything_is_written(
        fleet: Any, make_agent: Any, shop: BundleShop) -> None:
    """A validly signed but older bundle (a replay) never replaces newer models."""
    client, rec = fleet
    shop.trust()
    agent = make_agent("dev-u5")
    update.install(agent)
    wait_for(lambda: agent.listening, what="connect")
    newer = client.command(SITE, "dev-u5", "update", {"bundle": str(shop.bundles[2])},
                           timeout=60)
    assert newer["status"] == "ok" and newer["result"]["bundle_version"] == 2
    overlay_before = (shop.models_dir / "manifest.json").read_bytes()
    reply = client.command(SITE, "dev-u5", "update", {"bundle": str(shop.bundles[1])},
                           cmd_id="up-5", timeout=60)
    assert reply["status"] == "error" and reply["code"] == "bundle-downgrade", reply
    assert shop.installed_model() == shop.models[2]
    assert (shop.models_dir / "manifest.json").read_bytes() == overlay_before
    wait_for(lambda: "failed" in _stages(rec, "dev-u5", "up-5"), what="failed event")
    assert "installing" not in _stages(rec, "dev-u5", "up-5")
