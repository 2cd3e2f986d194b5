"""The fleet link under the six faults of issue 18, against a real Mosquitto running the
shipped config (persistence on, identities from certificates, the shipped ACL).

Each test reproduces a failure seen before the fix:
1. QoS 1 telemetry lost after a broker kill -9 (a retained presence outlived the
   ingester's session; PUBACK 0x10 counted as delivered);
2. one poison command (or outbox row) wedging the device's outbox for good;
3. client-id takeover of another device or of the ingester;
4. a full disk: no reconnect, a drifting count, events gone without a trace;
5. desired configs applied by two threads at once, reports lost or out of order;
6. a config version of 2**63 shadowing every later push.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fleet_helpers import SITE, Recorder, broker_config, wait_for

from appliance.fleet.ingest import Ingester
from appliance.fleet.store import FleetStore
from appliance.telemetry import link
from appliance.telemetry.outbox import Outbox
from appliance.telemetry.topics import DeviceTopics


def _stored_once(store: FleetStore, device: str, seqs: list[int]) -> bool:
    stored = store.seqs(device, "evt/tick")
    return set(seqs) <= set(stored) and len(stored) == len(set(stored))


def _crash_and_recover(broker: Any, pki: Any, make_agent: Any, tmp_path: Path,
                       save_first: bool) -> None:
    store = FleetStore(tmp_path / "fleet.db")
    ingester = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-a")),
                        store).start()
    try:
        agent = make_agent("dev-c")
        wait_for(lambda: agent.listening and agent.host_online is True, what="delivery")
        sent = [agent.publish_event("tick", {"i": i}) for i in range(50)]
        wait_for(lambda: _stored_once(store, "dev-c", sent), what="first 50 stored")
        if save_first:
            broker.save()  # what an autosave keeps: the retained presence, the sessions
        broker.kill9()
        sent += [agent.publish_event("tick", {"i": i}) for i in range(50, 250)]
        broker.start()
        # the device (backoff <= 1 s) is back before the ingester (paho: 1-10 s)
        deadline = time.monotonic() + 3
        i = 250
        while time.monotonic() < deadline:
            sent.append(agent.publish_event("tick", {"i": i}))
            i += 1
            time.sleep(0.01)
        wait_for(lambda: _stored_once(store, "dev-c", sent), timeout=60,
                 what="every event stored once after the crash")
        assert agent.outbox.dead_total == 0 and agent.outbox.shed_total == 0
        wait_for(lambda: len(agent.outbox) == 0, what="outbox drained")
    finally:
        ingester.stop()
        store.close()


def test_broker_kill_9_after_a_save_loses_no_event(broker: Any, pki: Any, make_agent: Any,
                                                   tmp_path: Path) -> None:
    """The broker comes back with the ingester's persisted session: it queues for it."""
    _crash_and_recover(broker, pki, make_agent, tmp_path, save_first=True)


def test_broker_kill_9_before_any_save_loses_no_event(broker: Any, pki: Any,
                                                      make_agent: Any, tmp_path: Path) -> None:
    """The broker comes back empty: nobody subscribes until the ingester returns, the
    device's birth probe gets 0x10 and it holds its outbox instead of emptying it."""
    _crash_and_recover(broker, pki, make_agent, tmp_path, save_first=False)


class _Raw:
    """A paho client with a chosen certificate and client id (an attacker's, say)."""

    def __init__(self, broker: Any, pki: Any, issued: Any, client_id: str) -> None:
        self.client = link.make_client(client_id, ca_file=str(pki.ca.ca_file),
                                       cert_file=str(issued.cert), key_file=str(issued.key))
        self.up = False
        self.client.on_connect = self._on_connect
        self.client.connect("localhost", broker.port, 30)
        self.client.loop_start()
        wait_for(lambda: self.up, what=f"{client_id} connected")

    def _on_connect(self, *args: Any) -> None:
        self.up = not args[3].is_failure

    def publish(self, topic: str, payload: bytes, props: Any = None) -> None:
        self.client.publish(topic, payload, qos=1, properties=props).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_poison_commands_are_refused_and_the_device_keeps_talking(
        fleet: Any, broker: Any, pki: Any, make_agent: Any) -> None:
    _client, rec = fleet
    agent = make_agent("dev-p")
    wait_for(lambda: agent.listening and agent.host_online is True, what="delivery")
    topics = DeviceTopics(SITE, "dev-p")
    console = _Raw(broker, pki, pki.fleet_identity("fleet.console"), "console")
    try:
        poisons = [
            (b'{"id": "inf", "expires": Infinity}', topics.res),
            (json.dumps({"id": "far", "expires": time.time() + 2**33}).encode(), topics.res),
            (b'{"id": "wild"}', topics.res + "/#"),
        ]
        for payload, response_topic in poisons:
            props = link.publish_properties(b"corr", 60, response_topic)
            console.publish(topics.cmd("say"), payload, props)
        replies = wait_for(lambda: len(rec.on("dev-p/res")) >= 3 and rec.on("dev-p/res"),
                           what="three refusals")
        assert {r["code"] for r in replies} == {"cmd-malformed", "cmd-bad-response-topic"}
        assert all(r["status"] == "refused" for r in replies)
        seq = agent.publish_event("tick", {"after": "poison"})
        wait_for(lambda: seq in [m["seq"] for m in rec.on("dev-p/evt/tick")],
                 what="telemetry after the poison")
        assert agent.stats["dead"] == 0  # nothing poisonous even reached the outbox
    finally:
        console.close()


def test_unpublishable_rows_go_to_the_dead_letters_and_the_queue_moves_on(
        fleet: Any, make_agent: Any, tmp_path: Path) -> None:
    """Rows left by an older build (or any bug): they survive a restart, so the device
    must set them aside itself."""
    _client, rec = fleet
    data = tmp_path / "dev-d"
    base = DeviceTopics(SITE, "dev-d")
    box = Outbox(data / "outbox.db")
    box.put(base.res + "/#", {"status": "ok"}, critical=True)
    box.put(base.res, {"status": "ok"}, critical=True, correlation=b"c",
            expires_at=float("inf"))
    box.close()
    agent = make_agent("dev-d", data_dir=data)
    seq = agent.publish_event("tick", {"i": 1})
    wait_for(lambda: seq in [m["seq"] for m in rec.on("dev-d/evt/tick")], timeout=20,
             what="the queue moved past the poison")
    assert agent.outbox.dead_total == 2
    reasons = [d["reason"] for d in agent.outbox.dead_letters()]
    assert all(r.startswith("cannot publish") for r in reasons)
    assert agent.outbox_health()["dead_total"] == 2


def test_a_device_cannot_take_over_another_device_or_the_ingester(
        fleet: Any, broker: Any, pki: Any, make_agent: Any, tmp_path: Path) -> None:
    client, rec = fleet
    store = FleetStore(tmp_path / "fleet.db")
    ingester = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-a")),
                        store).start()
    agent = make_agent("dev-a")
    try:
        wait_for(lambda: agent.listening and agent.host_online is True, what="dev-a up")
        reconnects, generation = agent.stats["reconnects"], ingester.client.generation
        # one certificate is one client id: each intruder replaces the previous one,
        # never the client whose id it claimed
        intruders = [_Raw(broker, pki, pki.device("dev-b"), claimed)
                     for claimed in ("dev-a", "fleet.ingest-a", "fleet.host")]
        time.sleep(1.5)
        assert agent.connected and agent.stats["reconnects"] == reconnects
        assert ingester.client.generation == generation  # never kicked off
        assert all(s["online"] for s in rec.on("dev-a/state"))
        # the intruder is itself (dev-b) to the broker: it cannot write as dev-a
        intruders[-1].publish(f"kiosk/v1/{SITE}/dev-a/evt/alarm", b'{"seq": 999999}')
        reply = client.command(SITE, "dev-a", "rebirth", timeout=15)
        assert reply["status"] == "ok"
        seq = agent.publish_event("tick", {"i": 1})
        wait_for(lambda: seq in store.seqs("dev-a", "evt/tick"), what="ingester still works")
        assert 999999 not in store.seqs("dev-a")
        for raw in intruders:
            raw.close()
    finally:
        ingester.stop()
        store.close()


def test_a_full_disk_the_agent_reconnects_drains_and_says_what_it_shed(
        fleet: Any, broker: Any, make_agent: Any) -> None:
    _client, rec = fleet
    agent = make_agent("dev-f")
    wait_for(lambda: agent.listening and agent.host_online is True, what="delivery")
    db = agent.outbox._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages}")  # SQLite's real SQLITE_FULL from here on
    try:
        broker.kill9()
        refused = [agent.publish_event("tick", {"blob": "x" * 4000}) for _ in range(40)]
        alarm = agent.publish_event("help_human", {"where": "gate 3", "blob": "y" * 4000})
        broker.start()
        wait_for(lambda: agent.listening, timeout=20, what="reconnect on a full disk")
        health = agent.outbox_health()
        assert health["shed"]["disk-full"] == refused.count(0) > 0
        assert alarm == 0 and health["spilled"] == 1
        assert len(agent.outbox) == db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    finally:
        db.execute("PRAGMA max_page_count=1073741823")
    wait_for(lambda: rec.on("dev-f/evt/help_human"), what="the spilled alarm once freed")
    wait_for(lambda: len(agent.outbox) == 0, what="drained")


def test_a_burst_of_pushes_is_applied_in_order_and_every_one_reported(
        fleet: Any, make_agent: Any) -> None:
    client, rec = fleet
    agent = make_agent("dev-cfg")
    wait_for(lambda: agent.listening and agent.host_online is True, what="delivery")
    for version in range(1, 301):
        client.push_config(SITE, "dev-cfg", version, {"audio": {"volume": (version % 10) / 10}})

    def reports() -> list[dict[str, Any]]:
        return [r for r in rec.on("dev-cfg/cfg/reported") if r.get("desired_version")]

    wait_for(lambda: len(reports()) >= 300, timeout=60, what="a report for every push")
    got = reports()
    assert sorted(r["desired_version"] for r in got) == list(range(1, 301))
    applied = [r["desired_version"] for r in got if r["status"] == "applied"]
    assert applied == sorted(applied) and applied[-1] == 300
    assert got[-1]["version"] == 300 and agent.config.version == 300
    saved = json.loads((agent.data_dir / "config.json").read_text())
    assert saved["version"] == 300
    # 6. a version of 2**63 is refused and does not shadow the next push
    client.push_config(SITE, "dev-cfg", 2**63, {})
    client.push_config(SITE, "dev-cfg", 301, {"audio": {"volume": 0.3}})
    wait_for(lambda: agent.config.version == 301, what="v301 after the bogus 2**63")
    bogus = [r for r in rec.on("dev-cfg/cfg/reported") if r["status"] == "rejected"
             and r.get("error") == "config-schema"]
    assert bogus, "the 2**63 push was answered, not ignored"


def test_shipped_config_renders_without_broker_warnings(broker: Any) -> None:
    """Persistence, identities and the ACL as shipped, and Mosquitto has nothing to say."""
    assert broker.warnings() == []
    conf = broker.conf_file.read_text()
    for line in ("persistence true", "use_identity_as_username true",
                 "use_username_as_clientid true", "max_packet_size 1048576"):
        assert line in conf


def test_a_reply_for_a_console_that_is_gone_is_dropped_and_telemetry_flows(
        broker: Any, pki: Any, make_agent: Any, monkeypatch: Any) -> None:
    """Nobody subscribes to the device's res (the console that asked went away): the
    reply is retried for REPLY_RETRY_S, then dropped; telemetry never waits on it."""


    from appliance.fleet.client import FleetClient
    from appliance.telemetry import agent_io

    monkeypatch.setattr(agent_io, "REPLY_RETRY_S", 3.0)
    rec = Recorder()
    host = FleetClient(broker_config(broker, pki, pki.fleet_identity("fleet.host")))
    host.subscribe("kiosk/v1/+/+/evt/#", rec)
    host.subscribe("kiosk/v1/+/+/birth", rec)
    host.connect()
    console = _Raw(broker, pki, pki.fleet_identity("fleet.console"), "console")
    try:
        agent = make_agent("dev-r")
        agent.register_command("say", lambda args: {"said": "x"})
        wait_for(lambda: agent.listening and rec.on("dev-r/birth"), what="delivery")
        topics = DeviceTopics(SITE, "dev-r")
        props = link.publish_properties(b"corr", 60, topics.res)
        console.publish(topics.cmd("say"), json.dumps(
            {"id": "gone-1", "expires": time.time() + 60}).encode(), props)
        console.close()
        wait_for(lambda: agent.stats["reply_unheard"] > 0, what="the reply met nobody")
        seqs = [agent.publish_event("tick", {"i": i}) for i in range(5)]
        wait_for(lambda: set(seqs) <= {m["seq"] for m in rec.on("dev-r/evt/tick")},
                 what="telemetry while the reply waits")
        wait_for(lambda: agent.stats["reply_dropped"] == 1, what="the reply given up")
        # its health has no subscriber either (this fleet takes only events and births):
        # given up after a few tries instead of holding the outbox for ever
        wait_for(lambda: len(agent.outbox) == 0, timeout=30, what="outbox empty")
        assert agent.stats["unrouted"] >= 1
    finally:
        host.close()
