"""kiosk-provision diagnostics: what a support engineer needs, and no secret.

Real files throughout: the log file `kiosk run` writes, the agent's SQLite
outbox (written by the real Outbox, read back read-only), kiosk.toml and the
fleet layer, the health snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import tarfile
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from appliance import settings as app_settings
from appliance.telemetry.outbox import Outbox
from provisioning import maintenance
from provisioning.cli import app

runner = CliRunner()


def read_tarball(path: str) -> dict[str, str]:
    with tarfile.open(path) as tar:
        return {Path(m.name).name: tar.extractfile(m).read().decode()  # type: ignore[union-attr]
                for m in tar.getmembers() if m.isfile()}


def test_diagnostics_hold_log_config_health_fleet_and_no_secret(root: Path,
                                                                tmp_path: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    (root / "etc/kiosk").mkdir(exist_ok=True)
    (root / "etc/kiosk/kiosk.toml").write_text(
        '[tts]\nlength_scale = 1.1\n[asr]\nengine = "whsiper"\n')
    fleet = app_settings.fleet_config_path()
    fleet.parent.mkdir(parents=True)
    fleet.write_text(json.dumps({"version": 4, "config": {"vad": {"pad_ms": 150}}}))
    now = dt.datetime.now()
    old = (now - dt.timedelta(hours=30)).strftime("%Y-%m-%d %H:%M:%S,000")
    recent = (now - dt.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S,000")
    log = app_settings.default_log_path()
    log.parent.mkdir(parents=True)
    log.write_text(f"{old} INFO appliance.service.daemon: a day-old line\n"
                   f"{recent} ERROR appliance.engines: asr failed password=hunter2\n"
                   "Traceback (most recent call last):\n  File 'x.py', line 1\n"
                   f"{recent} INFO appliance.service.daemon: token: abc123 kiosk ready\n")
    outbox = Outbox(app_settings.outbox_path())
    try:
        outbox.put("kiosk/v1/s/d/health", {"ok": True})
        outbox.put("kiosk/v1/s/d/evt/alarm", {"kind": "staff"}, critical=True)
    finally:
        outbox.close()
    app_settings.health_snapshot_path().write_text(json.dumps({
        "status": "degraded", "degraded": ["audio: no sound card; simulated"],
        "engines": {"asr": {"name": "whisper", "state": "ok"}},
        "latency_ms": {"asr": {"p50": 310.0, "p95": 480.0}}}))

    made = json.loads(runner.invoke(app, ["diagnostics", "--out", str(tmp_path), "--hours", "2",
                                          "--json"]).stdout)
    files = read_tarball(made["path"])
    assert made["v"] == 1 and made["hours"] == 2

    assert "kiosk ready" in files["kiosk.log"] and "a day-old line" not in files["kiosk.log"]
    assert "Traceback" in files["kiosk.log"]  # a record's continuation lines stay with it
    assert "hunter2" not in files["kiosk.log"] and "abc123" not in files["kiosk.log"]
    assert "password=<redacted>" in files["kiosk.log"]

    config: dict[str, Any] = json.loads(files["config-effective.json"])
    assert config["origins"]["tts.length_scale"] == "file"
    assert config["origins"]["vad.pad_ms"] == "fleet"
    assert config["problems"][0]["key"] == "asr.engine"
    assert "length_scale = 1.1 # file" in files["config-effective.toml"]

    fleet_state: dict[str, Any] = json.loads(files["fleet.json"])
    assert fleet_state["outbox"]["pending"] == 2 and fleet_state["outbox"]["critical_pending"] == 1
    assert fleet_state["fleet_config"]["version"] == 4
    assert json.loads(files["health.json"])["latency_ms"]["asr"]["p50"] == 310.0

    everything = "".join(files.values())
    assert "PRIVATE KEY" not in everything and "device.key" not in files


def test_scrub_removes_secrets_from_text() -> None:
    text = ("api_key=XYZ secret: s3 Authorization: Bearer-abc\n-----BEGIN PRIVATE KEY-----\n"
            "MIIE\n-----END PRIVATE KEY-----\n")
    clean = maintenance.scrub(text)
    for secret in ("XYZ", "s3", "Bearer-abc", "MIIE"):
        assert secret not in clean


def test_no_log_file_no_outbox_is_said_not_a_crash(root: Path, tmp_path: Path) -> None:
    made = json.loads(runner.invoke(app, ["diagnostics", "--out", str(tmp_path),
                                          "--json"]).stdout)
    files = read_tarball(made["path"])
    assert "no log file at" in files["kiosk.log"]
    assert json.loads(files["fleet.json"])["outbox"]["exists"] is False
