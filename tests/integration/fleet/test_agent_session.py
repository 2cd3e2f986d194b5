"""Birth, state, health, events, commands and config against a real Mosquitto."""

from __future__ import annotations

from typing import Any

from fleet_helpers import SITE, Recorder, broker_config, wait_for

from appliance.errors import KioskError


def test_birth_state_and_health_on_connect(fleet: Any, make_agent: Any) -> None:
    _client, rec = fleet
    agent = make_agent("dev-1")
    agent.set_birth_source(lambda: {"engines": {"asr": {"backend": "CPU"}}})
    wait_for(lambda: rec.on("dev-1/birth"), what="birth")
    state = wait_for(lambda: rec.on("dev-1/state"), what="state")[-1]
    assert state["online"] is True and state["reason"] == "connected"
    birth = rec.on("dev-1/birth")[-1]
    assert birth["bdSeq"] == state["bdSeq"]
    assert "rebirth" in birth["capabilities"] and birth["firmware"]
    health = wait_for(lambda: rec.on("dev-1/health"), what="health")[0]
    assert health["seq"] >= 1 and "cpu_pct" in health["system"]
    agent.publish_event("help_human", {"where": "gate 3"})
    evt = wait_for(lambda: rec.on("dev-1/evt/help_human"), what="event")[0]
    assert evt["where"] == "gate 3" and evt["seq"] > health["seq"]
    agent.stop()
    final = wait_for(lambda: [s for s in rec.on("dev-1/state") if not s["online"]],
                     what="offline state")[-1]
    assert final["reason"] == "shutdown"


def test_command_round_trip_and_unsupported(fleet: Any, make_agent: Any) -> None:
    client, _rec = fleet
    agent = make_agent("dev-2")
    agent.register_command("say", lambda args: {"said": args["text"]})

    def broken(_args: dict[str, Any]) -> None:
        raise KioskError("speaker gone", code="audio-out-failed")

    agent.register_command("set-volume", broken)
    wait_for(lambda: agent.listening, what="connect")
    reply = client.command(SITE, "dev-2", "say", {"text": "hello"}, timeout=15)
    assert reply["status"] == "ok" and reply["result"] == {"said": "hello"}
    reply = client.command(SITE, "dev-2", "set-volume", {"level": 3}, timeout=15)
    assert reply["status"] == "error" and reply["code"] == "audio-out-failed"
    reply = client.command(SITE, "dev-2", "screenshot", timeout=15)
    assert reply["status"] == "unsupported"
    reply = client.command(SITE, "dev-2", "logs", {"lines": "many"}, timeout=15)
    assert reply["status"] == "error" and reply["code"] == "bad-input"


def test_duplicate_and_expired_commands_refused(fleet: Any, make_agent: Any) -> None:
    client, _rec = fleet
    runs: list[str] = []
    agent = make_agent("dev-3")
    agent.register_command("say", lambda args: runs.append(args["text"]) and None)
    wait_for(lambda: agent.listening, what="connect")
    first = client.command(SITE, "dev-3", "say", {"text": "a"}, cmd_id="c-1", timeout=15)
    again = client.command(SITE, "dev-3", "say", {"text": "a"}, cmd_id="c-1", timeout=15)
    assert first["status"] == "ok" and again["status"] == "duplicate"
    assert again["result"]["original"]["status"] == "ok"
    expired = client.command(SITE, "dev-3", "say", {"text": "b"}, ttl=-5, timeout=15)
    assert expired["status"] == "refused" and expired["code"] == "cmd-expired"
    assert runs == ["a"]


def test_config_applied_then_bad_one_rejected_or_rolled_back(fleet: Any, make_agent: Any) -> None:
    client, rec = fleet
    applied: list[dict[str, Any]] = []

    def hook(config: dict[str, Any]) -> None:
        if config.get("audio", {}).get("volume", 1.0) > 1.5:
            raise KioskError("amplifier would clip", code="volume-too-high")
        applied.append(config)

    agent = make_agent("dev-4")
    agent.set_config_hook(hook)
    wait_for(lambda: agent.listening, what="connect")
    client.push_config(SITE, "dev-4", 1, {"audio": {"volume": 0.8}})
    wait_for(lambda: [r for r in rec.on("dev-4/cfg/reported") if r["status"] == "applied"],
             what="applied report")
    client.push_config(SITE, "dev-4", 2, {"audio": {"volume": "loud"}})
    rejected = wait_for(lambda: [r for r in rec.on("dev-4/cfg/reported")
                                 if r["status"] == "rejected"], what="rejected")[-1]
    assert rejected["version"] == 1 and rejected["desired_version"] == 2
    assert any("audio.volume" in p for p in rejected["problems"])
    client.push_config(SITE, "dev-4", 3, {"audio": {"volume": 1.9}})
    rolled = wait_for(lambda: [r for r in rec.on("dev-4/cfg/reported")
                               if r["status"] == "rolled-back"], what="rollback")[-1]
    assert rolled["version"] == 1 and rolled["error"] == "volume-too-high"
    assert applied == [{"audio": {"volume": 0.8}}, {"audio": {"volume": 0.8}}]
    assert agent.config.version == 1


def test_telemetry_waits_for_the_fleet_but_replies_do_not(broker: Any, pki: Any,
                                                          make_agent: Any) -> None:
    """No ingester takes telemetry: the broker answers the birth probe with PUBACK 0x10,
    so the device holds its telemetry (nothing is deleted) and still answers commands.
    Once someone subscribes, the next probe gets through: birth, then the held events."""


    from appliance.fleet.client import FleetClient

    rec = Recorder()
    with FleetClient(broker_config(broker, pki), client_id="console") as console:
        agent = make_agent("dev-5")
        agent.register_command("say", lambda args: {"said": args["text"]})
        wait_for(lambda: agent.connected and agent.host_online is False, what="nobody listens")
        seq = agent.publish_event("tick", {"i": 1})
        reply = console.command(SITE, "dev-5", "say", {"text": "hi"}, timeout=15)
        assert reply["status"] == "ok"
        assert len(agent.outbox) >= 1 and agent.outbox_health()["held"]
        console.subscribe("kiosk/v1/#", rec)
        assert wait_for(lambda: rec.on("dev-5/evt/tick"), what="held telemetry")[0]["seq"] == seq
        assert rec.on("dev-5/birth"), "the probe that got through is the birth"
        assert agent.host_online is True and not agent.outbox_health()["held"]
