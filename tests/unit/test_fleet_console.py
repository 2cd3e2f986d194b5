"""The operator's console: STALE after three missed heartbeats, human times, the watch
table's columns and colours, `show --full`, `ingest` printing only what changed.

Rows are what the fleet store returns; health is shaped as the agent and the kiosk
send it (appliance/telemetry/agent.py _tick_health, appliance/service/telemetry_link.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from appliance.fleet import console, status, views
from appliance.fleet.cli import main
from appliance.fleet.store import FleetStore, Incoming

NOW = 1_750_000_000.0


def _health(**over: Any) -> dict[str, Any]:
    health: dict[str, Any] = {
        "ts": NOW - 5, "seq": 9, "status": "ok", "degraded": [],
        "system": {"cpu_pct": 12.0, "mem_used_pct": 40.0},
        "engines": {"asr": {"name": "whisper", "state": "ok"},
                    "tts": {"name": "piper", "state": "ok"}},
        "conversation": {"turns": 42, "answered": 40, "interrupted": 2, "errors": 0,
                         "out_of_scope": 1},
        "latency_ms": {"end_of_speech_to_first_audio": {"p50": 820.0, "p95": 1400.0, "n": 40},
                       "asr_decode": {"p50": 300.0, "p95": 500.0, "n": 40}},
        "link": {"connected": True, "listening": True, "reconnects": 0, "fleet_host": True},
        "outbox": {"pending": 0, "spilled": 0, "shed_total": 0, "dead_total": 0, "held": False},
        "config_version": 7,
    }
    health.update(over)
    return health


def _row(last_seen: float | None = NOW - 5, online: bool = True, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "device_id": "kiosk-0042", "site": "metro-a", "online": online, "bdseq": 3,
        "reason": "birth", "last_seen": last_seen, "age_s": None, "health": _health(),
        "alarms": 0, "last_alarm": None,
        "cfg": {"version": 7, "desired_version": 7, "status": "current", "ts": NOW - 60},
    }
    row.update(over)
    return row


@pytest.mark.parametrize(("silent_s", "heartbeat", "expected"), [
    (5, None, "online"),
    (180, None, "online"),  # exactly three intervals: not yet
    (181, None, "stale"),
    (31, 10, "stale"),  # the device's own heartbeat_s
    (29, 10, "online"),
])
def test_stale_after_three_missed_heartbeats(silent_s: float, heartbeat: float | None,
                                             expected: str) -> None:
    health = _health(**({"heartbeat_s": heartbeat} if heartbeat else {}))
    assert status.link_status(_row(NOW - silent_s, health=health), NOW) == expected


def test_offline_is_offline_however_recent_and_unknown_without_a_word() -> None:
    assert status.link_status(_row(NOW - 1, online=False), NOW) == "offline"
    assert status.link_status(_row(None), NOW) == "unknown"


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "never"), (0.4, "0 s ago"), (12.3, "12 s ago"), (89, "89 s ago"),
    (240, "4 min ago"), (3 * 3600, "3 h ago"), (2 * 86400, "2 d ago"), (-3, "0 s ago"),
])
def test_human_age(seconds: float | None, text: str) -> None:
    assert status.human_age(seconds) == text


def test_cells_read_what_health_carries() -> None:
    h = _health()
    assert status.engines_cell(h) == ("2 ok", "ok")
    assert status.latency_cell(h) == ("820 ms", "ok")
    assert status.turns_cell(h) == ("42", "ok")
    assert status.outbox_cell(h) == ("0", "ok")
    assert status.link_cell(h) == ("ok", "ok")
    bad = _health(engines={"asr": {"name": "whisper", "state": "degraded"},
                           "tts": {"name": "piper", "state": "ok"}},
                  outbox={"pending": 340, "shed_total": 12, "dead_total": 2, "held": True},
                  link={"reconnects": 5}, conversation={"turns": 3, "errors": 1})
    assert status.engines_cell(bad) == ("asr degraded", "warn")
    assert status.outbox_cell(bad) == ("340 dead 2 shed 12", "bad")
    assert status.link_cell(bad) == ("held ↻5", "warn")
    assert status.turns_cell(bad) == ("3 (1 err)", "warn")
    assert status.latency_cell(_health(latency_ms={})) == ("-", "dim")


def test_config_cell_desired_vs_reported() -> None:
    assert status.config_cell(_row()) == ("v7", "ok")
    pending = _row(cfg={"version": 7, "desired_version": 8, "status": "current"})
    assert status.config_cell(pending) == ("v7 → v8", "warn")
    rejected = _row(cfg={"version": 7, "desired_version": 8, "status": "rejected",
                         "error": "config-invalid"})
    assert status.config_cell(rejected) == ("v7 (v8 config-invalid)", "bad")


def _render(rows: list[dict[str, Any]]) -> tuple[str, str]:
    out = Console(record=True, width=220, color_system="truecolor", force_terminal=True)
    out.print(console.devices_table(rows, NOW))
    return out.export_text(clear=False), out.export_text(styles=True)


def test_watch_table_has_every_column_and_colours_the_trouble() -> None:
    rows = [
        _row(),
        _row(NOW - 400, device_id="kiosk-stale"),
        _row(NOW - 30, online=False, device_id="kiosk-gone", alarms=2, last_alarm="help_human"),
        _row(device_id="kiosk-deg", health=_health(status="degraded",
                                                   degraded=["audio: mic is the sim twin"])),
    ]
    text, styled = _render(rows)
    for column in ("DEVICE", "STATUS", "SEEN", "ENGINES", "RESP p50", "TURNS", "OUTBOX",
                   "LINK", "CONFIG", "ALARMS"):
        assert column in text
    assert "4 devices, 2 online, 1 stale, 1 offline" in text
    lines = {line.split()[1]: line for line in text.splitlines() if "kiosk-" in line}
    assert "ONLINE" in lines["kiosk-0042"] and "820 ms" in lines["kiosk-0042"]
    assert "5 s ago" in lines["kiosk-0042"] and "v7" in lines["kiosk-0042"]
    assert "STALE" in lines["kiosk-stale"] and "7 min ago" in lines["kiosk-stale"]
    assert "OFFLINE" in lines["kiosk-gone"] and "2 (help_human)" in lines["kiosk-gone"]
    assert "ONLINE degraded" in lines["kiosk-deg"]
    styles = {name: next(line for line in styled.splitlines() if name in line)
              for name in ("kiosk-stale", "kiosk-gone")}
    assert "\x1b[33mSTALE" in styles["kiosk-stale"]  # amber
    assert "\x1b[1;31mOFFLINE" in styles["kiosk-gone"]  # red


def test_empty_fleet_says_what_to_do() -> None:
    text, _ = _render([])
    assert "is an ingester running" in text


def test_show_full_prints_bodies_whole() -> None:
    long = {"text": "x" * 300}
    info = status.annotate({**_row(), "birth": {"firmware": "1.2"},
                            "recent": [{"seq": 5, "kind": "evt/say", "ts": NOW - 3,
                                        "body": long}]}, NOW)
    short = views.device_detail(info)
    assert "x" * 300 not in short and "--full" in short
    full = views.device_detail(info, full=True)
    assert json.dumps(long, sort_keys=True) in full and '"config_version": 7' in full


def test_devices_and_show_speak_human_time(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "fleet.db"
    with FleetStore(db) as store:
        now = time.time()
        store.ingest([Incoming("kiosk/v1/metro-a/kiosk-0042/state",
                               json.dumps({"online": True, "bdSeq": 1}).encode(), now - 400),
                      Incoming("kiosk/v1/metro-a/kiosk-0042/health",
                               json.dumps(_health(seq=1, ts=now - 400)).encode(), now - 400)])
    assert main(["--db", str(db), "devices"]) == 0
    out = capsys.readouterr().out
    assert "STALE" in out and "min ago" in out and "1 STALE" in out
    assert main(["--db", str(db), "devices", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["devices"][0]
    assert row["status"] == "stale" and row["heartbeat_s"] == 60.0
    assert main(["--db", str(db), "show", "kiosk-0042", "--full"]) == 0
    out = capsys.readouterr().out
    assert "STALE" in out and "min ago" in out and '"end_of_speech_to_first_audio"' in out


def test_ingest_prints_a_line_only_when_something_changed() -> None:
    a = {"received": 10, "written": 10, "stored": 8, "duplicates": 0, "backlog": 0}
    b = {**a, "received": 13, "written": 13, "stored": 11}
    assert "(+3 stored)" in views.stats_line(b, a)
    assert "(+" not in views.stats_line(a, None)
