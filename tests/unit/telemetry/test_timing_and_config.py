"""Pure timing state machines and the config manager, fed plain numbers and bytes."""

from __future__ import annotations

import json
import random
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
        if cfg.get("tts", {}).get("length_scale", 1.0) > 3:
            raise RuntimeError("too slow")
        applied.append(cfg)

    mgr = ConfigManager(tmp_path / "cfg.json", hook)
    assert mgr.handle(_desired(1, {"tts": {"length_scale": 1.2}}))["status"] == "applied"
    assert mgr.handle(_desired(1, {"tts": {"length_scale": 1.2}})) is None  # redelivery
    bad = mgr.handle(_desired(2, {"tts": {"length_scale": 9.0}}))
    assert bad["status"] == "rolled-back" and bad["version"] == 1
    assert applied[-1] == {"tts": {"length_scale": 1.2}}
    invalid = mgr.handle(_desired(3, {"tts": {"nope": 1}}))
    assert invalid["status"] == "rejected" and "tts.nope: unknown key" in invalid["problems"]
    assert mgr.handle(b"not json")["error"] == "config-not-json"
    assert mgr.handle(_desired(True, {}))["status"] == "rejected"
    again = ConfigManager(tmp_path / "cfg.json")
    assert again.version == 1 and again.active["config"] == {"tts": {"length_scale": 1.2}}
