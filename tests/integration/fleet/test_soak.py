"""The 90 s version of ``make soak``: the same fleet, the same faults, closer together.

50 real agents, two ``kiosk-fleet ingest`` processes sharing a ``$share`` group, a
console with a persistent session, Mosquitto with the shipped config; broker kill -9
twice, an ingester kill -9, full disks, takeover attempts, poison commands, reloads.
"""

from __future__ import annotations

from pathlib import Path

from appliance.bench import fleet_soak as soak


def test_ninety_seconds_of_faults_lose_nothing_and_answer_everything_once(
        tmp_path: Path) -> None:
    result = soak.run(duration_s=90, agents=50, work=tmp_path)
    events, commands = result["events"], result["commands"]
    assert result["drained"], result
    assert events["sent"] > 3000, events
    assert events["lost"] == events["still_queued"] == events["duplicates"] == 0, events
    # at least once: a redelivered command may get a second, "duplicate" reply; never a
    # second run
    assert commands["unanswered"] == 0 and commands["ran_more_than_once"] == 0, commands
    assert commands["sent"] > 50
    assert commands["poison_refused_once"] == commands["poison_sent"] > 0
    assert result["alarms_during_disk_full"]["stored"] == result["alarms_during_disk_full"]["sent"]
    assert result["takeover"]["attempts"] > 0 and result["takeover"]["victims_kicked"] == 0
    assert len(result["recovery_s"]["broker_kill"]) == 2
    assert {f["fault"] for f in result["faults"]} == {
        "broker_kill", "ingester_kill", "disk_full", "takeover", "poison", "reload"}
