"""A long partition: the broker is down for minutes while the kiosk keeps working.

The issue asks for 2 minutes; ``KIOSK_TEST_PARTITION_S`` shortens (or lengthens) it
for a developer's run, e.g. ``KIOSK_TEST_PARTITION_S=10 pytest -m slow ...``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from fleet_helpers import wait_for

PARTITION_S = float(os.environ.get("KIOSK_TEST_PARTITION_S", "120"))
EVENT_EVERY_S = 0.25


@pytest.mark.slow
@pytest.mark.timeout(int(PARTITION_S) + 180)
def test_a_long_partition_replays_everything_in_order(fleet: Any, broker: Any,
                                                      make_agent: Any) -> None:
    _client, rec = fleet
    agent = make_agent("dev-p", heartbeat_s=5.0, health_min_interval_s=1.0, backoff_max_s=8.0)
    wait_for(lambda: agent.listening, what="connect")
    before = [agent.publish_event("tick", {"phase": "before", "i": i}) for i in range(5)]
    wait_for(lambda: {m["seq"] for m in rec.on("dev-p/evt/tick")} >= set(before), what="live")

    broker.stop()
    wait_for(lambda: not agent.connected, what="agent notices the outage")
    during: list[int] = []
    alarms: list[int] = []
    start = time.monotonic()
    while time.monotonic() - start < PARTITION_S:  # the kiosk keeps working meanwhile
        during.append(agent.publish_event("tick", {"phase": "during", "i": len(during)}))
        if len(during) % 100 == 50:
            alarms.append(agent.publish_event("overheat", {"temp_c": 90 + len(alarms)}))
        time.sleep(EVENT_EVERY_S)
    assert not agent.connected and agent.stats["last_error"]  # it kept trying, and failing
    pending = len(agent.outbox)
    assert pending >= len(during) + len(alarms)  # all of it on disk, health heartbeats too

    broker.start()
    expected = set(before + during)
    wait_for(lambda: {m["seq"] for m in rec.on("dev-p/evt/tick")} >= expected,
             timeout=60 + PARTITION_S / 4, what="the partition's backlog")
    wait_for(lambda: len(agent.outbox) == 0, timeout=30, what="outbox drained")

    ticks = _first_seen(rec.on("dev-p/evt/tick"))
    assert [m["seq"] for m in ticks] == before + during  # in order, none missing, none twice
    assert all(m.get("historical") is True for m in ticks if m["phase"] == "during")
    assert [m["i"] for m in ticks if m["phase"] == "during"] == list(range(len(during)))
    assert [m["seq"] for m in _first_seen(rec.on("dev-p/evt/overheat"))] == alarms
    # every outbox message of the device, whatever its topic, arrived in seq order
    stream = _first_seen([m for kind in ("evt/tick", "evt/overheat", "health")
                          for m in rec.on(f"dev-p/{kind}")])
    health = [m["seq"] for m in stream if "system" in m and m["seq"] > before[-1]]
    assert len(health) >= int(PARTITION_S // 5) - 1  # heartbeats kept during the outage
    arrival = [m["seq"] for m in _arrival_order(rec, "dev-p")]
    assert arrival == sorted(arrival)


def _first_seen(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[int] = set()
    out = []
    for m in messages:
        if m["seq"] not in seen:
            seen.add(m["seq"])
            out.append(m)
    return out


def _arrival_order(rec: Any, device: str) -> list[dict[str, Any]]:
    """Outbox messages of ``device`` in the order the fleet received them (first copies)."""
    import json

    with rec._lock:
        msgs = [m for m in rec.messages if f"/{device}/" in m.topic
                and not m.topic.endswith(("/state", "/birth"))]
    bodies = [json.loads(m.payload) for m in msgs if m.payload]
    return _first_seen([b for b in bodies if isinstance(b.get("seq"), int)])
