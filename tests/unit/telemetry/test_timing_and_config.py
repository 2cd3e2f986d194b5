"""Pure timing state machines and the config manager, fed plain numbers and bytes."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from appliance.telemetry.backoff import Backoff, LinkWatch
from appliance.telemetry.config import ConfigManager
from appliance.telemetry.health import HealthSchedule, signature


def test_backoff_doubles_to_the_cap_and_resets() -> None:
    b = Backoff(1.0, 8.0, jitter=0.0, rng=random.Random(1))
    assert [b.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    b.reset()
    assert b.next_delay() == 1.0
    jittery = Backoff(10.0, 10.0, jitter=0.2, rng=random.Random(2))
    assert all(8.0 <= jittery.next_delay() <= 12.0 for _ in range(50))


def test_link_watch_probes_at_half_and_declares_dead_at_one_and_a_half_keepalive() -> None:
    w = LinkWatch(10.0)
    w.seen(100.0)
    assert not w.want_probe(104.9)
    assert w.want_probe(105.0)
    assert not w.want_probe(106.0)  # one probe per half keepalive
    assert not w.dead(114.9)
    assert w.dead(115.0)
    w.seen(114.0)
    assert not w.dead(115.0)


def test_health_schedule_heartbeat_and_debounced_change() -> None:
    s = HealthSchedule(heartbeat_s=60, min_interval_s=5)
    assert s.due(0, "a")
    s.sent(0, "a")
    assert not s.due(3, "b")  # changed but debounced
    assert s.due(5, "b")
    s.sent(5, "b")
    assert not s.due(30, "b")
    assert s.due(65, "b")  # heartbeat


def test_signature_ignores_metrics_but_not_states() -> None:
    a = {"engines": {"asr": {"state": "ok", "p95_ms": 120.0}}, "turns": 3}
    b = {"engines": {"asr": {"state": "ok", "p95_ms": 180.0}}, "turns": 4}
    c = {"engines": {"asr": {"state": "failed", "p95_ms": 120.0}}, "turns": 3}
    assert signature(a) == signature(b) != signature(c)


def _desired(version: Any, config: Any) -> bytes:
    return json.dumps({"version": version, "config": config}).encode()


def test_config_applies_newer_keeps_last_good_and_survives_restart(tmp_path: Path) -> None:
    applied: list[dict[str, Any]] = []

    def hook(cfg: dict[str, Any]) -> None:
        if cfg.get("tts", {}).get("length_scale", 1.0) > 2:
            raise RuntimeError("too slow")
        applied.append(cfg)

    mgr = ConfigManager(tmp_path / "cfg.json", hook)
    assert mgr.handle(_desired(1, {"tts": {"length_scale": 1.2}}))["status"] == "applied"
    assert mgr.handle(_desired(1, {"tts": {"length_scale": 1.2}}))["status"] == "current"
    bad = mgr.handle(_desired(2, {"tts": {"length_scale": 3.0}}))  # valid, but fails to apply
    assert bad["status"] == "rolled-back" and bad["version"] == 1
    assert applied[-1] == {"tts": {"length_scale": 1.2}}
    invalid = mgr.handle(_desired(3, {"tts": {"nope": 1}}))
    assert invalid["status"] == "rejected" and any(
        p.startswith("tts.nope: unknown key") for p in invalid["problems"])
    assert mgr.handle(b"not json")["error"] == "config-not-json"
    assert mgr.handle(_desired(True, {}))["status"] == "rejected"
    again = ConfigManager(tmp_path / "cfg.json")
    assert again.version == 1 and again.active["config"] == {"tts": {"length_scale": 1.2}}


def test_config_versions_are_bounded_and_stale_pushes_are_reported(tmp_path: Path) -> None:
    mgr = ConfigManager(tmp_path / "cfg.json")
    huge = mgr.handle(_desired(2**63, {}))
    assert huge["status"] == "rejected" and huge["error"] == "config-schema"
    assert mgr.handle(_desired(5, {}))["status"] == "applied"  # 2**63 did not shadow it
    stale = mgr.handle(_desired(4, {}))
    assert stale["status"] == "rejected" and stale["error"] == "config-stale"
    assert stale["version"] == 5 and stale["desired_version"] == 4
    assert ConfigManager(tmp_path / "cfg.json").version == 5


def test_a_burst_of_concurrent_pushes_is_applied_one_at_a_time(tmp_path: Path) -> None:
    """300 pushes from 8 threads: every one reported, versions only grow, the saved
    one is the last one reported applied, and no temporary file is left behind."""
    import threading

    active = [0]
    overlaps: list[int] = []

    def hook(cfg: dict[str, Any]) -> None:
        active[0] += 1
        if active[0] > 1:
            overlaps.append(active[0])
        time.sleep(0.0005)
        active[0] -= 1

    mgr = ConfigManager(tmp_path / "cfg.json", hook)
    reports: list[dict[str, Any]] = []
    lock = threading.Lock()

    def push(versions: range) -> None:
        for v in versions:
            report = mgr.handle(_desired(v, {"audio": {"volume": (v % 10) / 10}}),
                                reports.append)
            with lock:
                assert report is not None

    threads = [threading.Thread(target=push, args=(range(1 + i, 301, 8),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps
    assert len(reports) == 300
    applied = [r["desired_version"] for r in reports if r["status"] == "applied"]
    assert applied == sorted(applied) and applied[-1] == 300
    assert {r["status"] for r in reports} <= {"applied", "rejected"}
    assert reports[-1]["version"] == 300 or max(applied) == 300
    assert ConfigManager(tmp_path / "cfg.json").version == 300
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".*tmp")) == []
