"""The staged rollout state machine, fed plain times and outcomes."""

from __future__ import annotations

from appliance.fleet.rollout import Rollout


def test_rollout_respects_the_rate() -> None:
    r = Rollout([f"d{i}" for i in range(5)], rate_per_min=30, abort_pct=50)
    assert r.due(0.0) == ["d0"]
    assert r.due(1.0) == []
    assert r.due(2.0) == ["d1"]
    assert r.due(10.0) == ["d2", "d3", "d4"]
    for d in r.started:
        r.record(d, True)
    assert r.done and not r.aborted


def test_rollout_aborts_past_the_failure_threshold_after_the_sample() -> None:
    r = Rollout([f"d{i}" for i in range(10)], rate_per_min=600, abort_pct=30, min_sample=3)
    started = r.due(0.0) + r.due(0.5)
    assert started == ["d0", "d1", "d2", "d3", "d4", "d5"]
    r.record("d0", False)
    r.record("d1", True)
    assert not r.aborted  # 1 of 2: below the sample size
    r.record("d2", False)
    assert r.aborted and r.due(100.0) == []
    assert not r.done  # started devices still finish
    for d in ("d3", "d4", "d5"):
        r.record(d, True)
    assert r.done and r.summary()["not_started"] == ["d6", "d7", "d8", "d9"]


def test_rollout_keeps_at_most_max_in_flight_without_bursting() -> None:
    r = Rollout([f"d{i}" for i in range(6)], rate_per_min=60, abort_pct=50, max_in_flight=2)
    assert r.due(0.0) == ["d0"]
    assert r.due(1.0) == ["d1"]
    assert r.due(5.0) == []  # two unfinished: wait
    r.record("d0", True)
    assert r.due(9.0) == ["d2"]  # one slot freed: one device, not the 8 s of backlog
    r.record("d1", True)
    assert r.due(9.5) == []  # the rate still holds
    assert r.due(10.0) == ["d3"]
