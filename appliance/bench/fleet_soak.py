"""The fleet soak: one broker, many real agents, ingesters sharing a ``$share`` group,
faults on a schedule, and then a count of what arrived.

Everything is real: Mosquitto running the shipped config (persistence, identities
from certificates, the ACL), ``TelemetryAgent`` instances with their SQLite
outboxes, ingester *processes* (so a kill is a ``kill -9``) writing one SQLite
store, and a console with a persistent session sending commands. The faults:

* broker ``kill -9`` (what the last autosave kept is what it finds again);
* a ``kiosk-fleet ingest`` process ``kill -9``-ed, restarted a few seconds later
  with the same identity;
* full disks on a few agents (SQLite's real ``SQLITE_FULL``), then freed;
* takeover attempts (a device claiming another device's and the ingester's id);
* poison commands (``expires: Infinity``, a wildcard response topic);
* a broker reload (SIGHUP), as after ``kiosk-fleet ca console-cert`` or ``revoke``.

At the end every QoS 1 event must be stored exactly once and every command
answered exactly once. ``make soak`` runs 10 minutes and writes the area
``fleet_soak`` into ``build/bench.json``; the test suite runs a 90 s version::

    python -m appliance.bench.fleet_soak --duration 600 --agents 50
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from appliance.fleet.client import BrokerConfig
from appliance.settings import TelemetrySettings
from appliance.telemetry import builtins, link
from appliance.telemetry.agent import TelemetryAgent
from appliance.telemetry.mosquitto import MosquittoBroker
from appliance.telemetry.pki import CertAuthority, Issued
from appliance.telemetry.topics import DeviceTopics

logger = logging.getLogger(__name__)

SITE = "soak"
INGESTERS = ("fleet.ingest-1", "fleet.ingest-2")
CONSOLE = "fleet.console"


@dataclass
class Schedule:
    """When each fault happens (seconds from the start) and how long it lasts."""

    duration_s: float
    broker_kills: list[float]
    ingester_kills: list[float]
    disk_full: list[float]
    takeovers: list[float]
    poisons: list[float]
    reloads: list[float] = field(default_factory=list)
    ingester_down_s: float = 5.0
    disk_full_s: float = 10.0
    broker_down_s: float = 2.0

    @classmethod
    def for_duration(cls, duration_s: float) -> Schedule:
        """10 minutes: a broker kill every 2 minutes; 90 s: the same faults, closer."""
        if duration_s >= 300:
            kills = [t for t in range(120, int(duration_s), 120) if t < duration_s - 20]
            return cls(duration_s, [float(t) for t in kills], [60.0, 300.0], [180.0, 420.0],
                       [90.0, 270.0, 510.0], [30.0, 150.0, 450.0], [200.0, 390.0])
        d = duration_s
        return cls(d, [0.35 * d, 0.7 * d], [0.15 * d], [0.5 * d], [0.25 * d], [0.1 * d, 0.55 * d],
                   [0.2 * d, 0.8 * d])


@dataclass
class Ledger:
    """What was sent, for the count at the end (thread-safe)."""

    events: dict[str, list[int]] = field(default_factory=dict)
    shed: Counter[str] = field(default_factory=Counter)
    alarms: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, device: str, seq: int) -> None:
        with self.lock:
            if seq > 0:
                self.events.setdefault(device, []).append(seq)
            else:
                self.shed[device] += 1

    def snapshot(self) -> dict[str, set[int]]:
        with self.lock:
            return {d: set(s) for d, s in self.events.items()}


class Console:
    """The operator: a persistent session that sends commands and counts replies."""

    def __init__(self, conf: BrokerConfig) -> None:
        self.replies: Counter[str] = Counter()
        self.statuses: dict[str, str] = {}
        self.seen: dict[str, dict[Any, str]] = {}
        """Per command id: reply seq -> status."""
        self.redelivered = 0
        self.acked: set[str] = set()
        self.sent_at: dict[str, float] = {}
        self._mids: dict[int, tuple[str, str, bytes, str]] = {}
        self._early: dict[int, int] = {}
        self.resent = 0
        self._lock = threading.Lock()
        self.client = link.make_client(CONSOLE, ca_file=conf.ca_file, cert_file=conf.cert_file,
                                       key_file=conf.key_file, reconnect=True)
        self.client.on_connect = lambda c, *_a: c.subscribe(f"kiosk/v1/{SITE}/+/res", 1)
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.reconnect_delay_set(1, 2)
        self.client.connect(conf.host, conf.port, 30, clean_start=False,
                            properties=link.connect_properties())
        self.client.loop_start()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        with self._lock:
            cmd_id = str(body.get("id"))
            # one reply message delivered twice (QoS 1 around a broker crash) has one seq
            seen = self.seen.setdefault(cmd_id, {})
            if body.get("seq") in seen:
                self.redelivered += 1
                return
            seen[body.get("seq")] = str(body.get("status"))
            self.replies[cmd_id] += 1
            self.statuses[cmd_id] = str(body.get("status"))

    def _on_publish(self, _c: Any, _u: Any, mid: int, rc: Any, _p: Any) -> None:
        with self._lock:
            sent = self._mids.pop(mid, None)
            if sent is None:  # the PUBACK beat our bookkeeping: _publish settles it
                self._early[mid] = int(rc.value)
                return
        self._settle(sent, int(rc.value))

    def _settle(self, sent: tuple[str, str, bytes, str], reason: int) -> None:
        if reason == 0x10:
            # nobody subscribed: the device is (re)connecting. Same id again a second
            # later; its ledger answers a duplicate if the first one did arrive.
            self.resent += 1
            threading.Timer(1.0, self._publish, sent).start()
        elif reason < 0x80:
            with self._lock:
                self.acked.add(sent[0])

    def send(self, device: str, name: str, payload: bytes, cmd_id: str,
             response_topic: str | None = None) -> None:
        topics = DeviceTopics(SITE, device)
        with self._lock:
            self.sent_at[cmd_id] = time.monotonic()
        self._publish(cmd_id, topics.cmd(name), payload, response_topic or topics.res)

    def _publish(self, cmd_id: str, topic: str, payload: bytes, response_topic: str) -> None:
        props = link.publish_properties(uuid.uuid4().bytes, 600, response_topic)
        sent = (cmd_id, topic, payload, response_topic)
        # never hold our lock across publish: paho's thread holds its own lock while
        # it calls on_publish, which takes ours (a deadlock, seen in the soak)
        info = self.client.publish(topic, payload, qos=1, properties=props)
        with self._lock:
            early = self._early.pop(info.mid, None)
            if early is None:
                self._mids[info.mid] = sent
        if early is not None:
            self._settle(sent, early)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Soak:
    """Sets up the fleet in ``work``, runs the schedule, counts."""

    def __init__(self, work: Path, agents: int, schedule: Schedule, seed: int = 7) -> None:
        self.work = work
        self.schedule = schedule
        self.rng = random.Random(seed)
        self.ca = CertAuthority(work / "pki")
        server = self.ca.issue("localhost", server=True)
        self.fleet_ids: dict[str, Issued] = {n: self.ca.issue(n) for n in (*INGESTERS, CONSOLE)}
        self.broker = MosquittoBroker(work / "broker", ca_file=self.ca.ca_file,
                                      cert_file=server.cert, key_file=server.key,
                                      crl_file=self.ca.write_crl(),
                                      fleet_users=list(self.fleet_ids))
        self.ids = [f"soak-{i:03d}" for i in range(agents)]
        self.devices = {d: self.ca.issue(d) for d in self.ids}
        self.db = work / "fleet.db"
        self.ledger = Ledger()
        self.agents: dict[str, TelemetryAgent] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.faults: list[dict[str, Any]] = []
        self.recovery: dict[str, list[float]] = {"broker_kill": [], "ingester_kill": [],
                                                 "disk_full": [], "reload": []}
        self.max_depth = 0
        self.takeover = {"attempts": 0, "victims_kicked": 0}
        self.commands: list[str] = []
        self.poisons: list[str] = []
        self._stop = threading.Event()
        self._start = 0.0

    # --- set-up ------------------------------------------------------------------

    def conf(self, who: Issued) -> BrokerConfig:
        return BrokerConfig("localhost", self.broker.port, str(self.ca.ca_file), str(who.cert),
                            str(who.key))

    def start_ingester(self, name: str) -> None:
        """``kiosk-fleet ingest`` as its own process, as an operator runs it."""
        who = self.fleet_ids[name]
        log_size = self.broker.log_file.stat().st_size if self.broker.log_file.exists() else 0
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance.fleet.cli", "--broker",
             f"localhost:{self.broker.port}", "--ca", str(self.ca.ca_file), "--cert",
             str(who.cert), "--key", str(who.key), "--db", str(self.db), "ingest",
             "--group", "soak"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs[name] = proc

        def connected() -> bool:
            with open(self.broker.log_file, "rb") as fh:
                fh.seek(log_size)
                return f" as {name} ".encode() in fh.read()

        self._wait(connected, 60, f"ingester {name} connected")
        time.sleep(0.5)  # its subscriptions follow the CONNACK

    def start_agents(self) -> None:
        for dev, issued in self.devices.items():
            settings = TelemetrySettings(
                enabled=True, host="localhost", port=self.broker.port,
                ca_file=str(self.ca.ca_file), cert_file=str(issued.cert),
                key_file=str(issued.key), keepalive_s=10, heartbeat_s=3600,
                health_min_interval_s=3600, backoff_initial_s=0.2, backoff_max_s=2.0)
            agent = TelemetryAgent(settings, site=SITE, device_id=dev,
                                   data_dir=self.work / "agents" / dev)
            builtins.install(agent)  # rebirth, selftest, logs
            agent.register_command("say", lambda args: {"said": str(args.get("text", ""))})
            agent.start()
            self.agents[dev] = agent

    # --- the run -------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        from appliance.fleet.store import FleetStore

        self.broker.start()
        FleetStore(self.db).close()  # the schema, before two ingester processes race for it
        for name in INGESTERS:
            self.start_ingester(name)
        self.console = Console(self.conf(self.fleet_ids[CONSOLE]))
        self.start_agents()
        self._wait(lambda: all(a.host_online for a in self.agents.values()), 60, "agents up")
        self._start = time.monotonic()
        threads = [threading.Thread(target=fn, daemon=True, name=fn.__name__) for fn in
                   (self._events, self._commands, self._sample)]
        for t in threads:
            t.start()
        try:
            self._faults()
        finally:
            self._stop.set()
            for t in threads:
                t.join(10)
        drained = self._drain()
        return self._count(drained)

    def _elapsed(self) -> float:
        return time.monotonic() - self._start

    def _events(self) -> None:
        n = 0
        period = 1.0 / len(self.ids)  # each agent: one event a second
        while not self._stop.is_set():
            dev = self.ids[n % len(self.ids)]
            seq = self.agents[dev].publish_event("tick", {"i": n})
            self.ledger.sent(dev, seq)
            n += 1
            time.sleep(period)

    def _commands(self) -> None:
        while not self._stop.wait(1.0):
            dev = self.rng.choice(self.ids)
            cmd_id = f"say-{uuid.uuid4().hex[:12]}"
            self.commands.append(cmd_id)
            body = {"id": cmd_id, "device": dev, "args": {"text": "mind the gap"},
                    "expires": time.time() + 600}
            self.console.send(dev, "say", json.dumps(body).encode(), cmd_id)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            depth = max(len(a.outbox) + a.outbox.spilled for a in self.agents.values())
            self.max_depth = max(self.max_depth, depth)

    def _faults(self) -> None:
        plan = ([(t, "broker_kill") for t in self.schedule.broker_kills]
                + [(t, "ingester_kill") for t in self.schedule.ingester_kills]
                + [(t, "disk_full") for t in self.schedule.disk_full]
                + [(t, "takeover") for t in self.schedule.takeovers]
                + [(t, "poison") for t in self.schedule.poisons]
                + [(t, "reload") for t in self.schedule.reloads])
        for at, what in sorted(plan):
            while self._elapsed() < at:
                time.sleep(0.05)
            logger.warning("soak: %s at %.0f s", what, self._elapsed())
            self.faults.append({"t_s": round(self._elapsed(), 1), "fault": what})
            getattr(self, f"_{what}")()
        while self._elapsed() < self.schedule.duration_s:
            time.sleep(0.1)

    # --- faults ----------------------------------------------------------------------

    def _broker_kill(self) -> None:
        self.broker.kill9()
        time.sleep(self.schedule.broker_down_s)
        self.broker.start()
        self._recovered("broker_kill")

    def _reload(self) -> None:
        """SIGHUP, as an operator does after adding a console (ACL) or revoking (CRL)."""
        if self.broker.proc is not None:
            self.broker.proc.send_signal(signal.SIGHUP)
        self._recovered("reload")

    def _ingester_kill(self) -> None:
        name = self.rng.choice(INGESTERS)
        proc = self.procs[name]
        proc.kill()
        proc.wait(10)
        time.sleep(self.schedule.ingester_down_s)
        self.start_ingester(name)
        self._recovered("ingester_kill")

    def _disk_full(self) -> None:
        victims = self.rng.sample(self.ids, k=min(5, len(self.ids)))
        for dev in victims:
            _fill(self.agents[dev].outbox._db)
        for dev in victims:  # an alarm while the disk is full must still arrive
            self.agents[dev].publish_event("help_human", {"soak": "disk-full"})
            self.ledger.alarms[dev] += 1
        time.sleep(self.schedule.disk_full_s)
        for dev in victims:
            _free(self.agents[dev].outbox._db)
        self._recovered("disk_full")

    def _takeover(self) -> None:
        thief, victim = self.rng.sample(self.ids, k=2)
        before = {d: self.agents[d].stats["reconnects"] for d in (victim,)}
        for claimed in (victim, INGESTERS[0]):
            self.takeover["attempts"] += 1
            issued = self.devices[thief]
            raw = link.make_client(claimed, ca_file=str(self.ca.ca_file),
                                   cert_file=str(issued.cert), key_file=str(issued.key))
            try:
                raw.connect("localhost", self.broker.port, 30)
                raw.loop_start()
                time.sleep(1.5)
            except OSError:
                pass
            finally:
                raw.disconnect()
                raw.loop_stop()
        if self.agents[victim].stats["reconnects"] != before[victim]:
            self.takeover["victims_kicked"] += 1

    def _poison(self) -> None:
        dev = self.rng.choice(self.ids)
        res = DeviceTopics(SITE, dev).res
        for payload, topic in ((b'"expires": Infinity', res), (b"", res + "/#")):
            cmd_id = f"poison-{uuid.uuid4().hex[:12]}"
            self.poisons.append(cmd_id)
            body = b'{"id": "%s", %s}' % (cmd_id.encode(), payload or b'"args": {}')
            self.console.send(dev, "say", body, cmd_id, response_topic=topic)

    # --- counting --------------------------------------------------------------------

    def _stored(self) -> dict[str, set[int]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as db:
            rows = db.execute("SELECT device_id, seq FROM history WHERE kind='evt/tick'")
            out: dict[str, set[int]] = {}
            for dev, seq in rows:
                out.setdefault(dev, set()).add(int(seq))
        return out

    def _missing(self, sent: dict[str, set[int]]) -> int:
        stored = self._stored()
        return sum(len(seqs - stored.get(dev, set())) for dev, seqs in sent.items())

    def _recovered(self, what: str, limit_s: float = 180.0) -> None:
        """Seconds from the end of a fault until every event sent before it is stored."""
        sent, t0 = self.ledger.snapshot(), time.monotonic()
        while self._missing(sent) and time.monotonic() - t0 < limit_s:
            time.sleep(0.5)
        self.recovery[what].append(round(time.monotonic() - t0, 1))

    def _drain(self, limit_s: float = 180.0) -> bool:
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit_s:
            if all(len(a.outbox) == 0 and a.outbox.spilled == 0 for a in self.agents.values()) \
                    and not self._missing(self.ledger.snapshot()):
                break
            time.sleep(0.5)
        deadline = time.monotonic() + 30
        wanted = set(self.commands) | set(self.poisons)
        while time.monotonic() < deadline and not wanted <= set(self.console.replies):
            time.sleep(0.5)
        time.sleep(1.0)  # a late duplicate reply would show up now
        return all(len(a.outbox) == 0 for a in self.agents.values())

    def _count(self, drained: bool) -> dict[str, Any]:
        sent = self.ledger.snapshot()
        stored = self._stored()
        queued = {dev: {m.seq for m in a.outbox.batch(0, 10**6)} for dev, a in self.agents.items()}
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30) as db:
            dups = db.execute("SELECT COUNT(*) FROM (SELECT device_id, seq FROM history "
                              "GROUP BY device_id, seq HAVING COUNT(*) > 1)").fetchone()[0]
            alarms = dict(db.execute("SELECT device_id, COUNT(*) FROM history "
                                     "WHERE kind='evt/help_human' GROUP BY device_id").fetchall())
        replies = self.console.replies
        n_sent = sum(len(s) for s in sent.values())
        return {
            "duration_s": self.schedule.duration_s,
            "agents": len(self.agents),
            "ingesters": len(INGESTERS),
            "events": {
                "sent": n_sent,
                "stored": sum(len(sent[d] & stored.get(d, set())) for d in sent),
                "still_queued": sum(len((sent[d] - stored.get(d, set())) & queued[d])
                                    for d in sent),
                "lost": sum(len(sent[d] - stored.get(d, set()) - queued[d]) for d in sent),
                "duplicates": int(dups),
                "shed_disk_full": sum(self.ledger.shed.values()),
            },
            "alarms_during_disk_full": {"sent": sum(self.ledger.alarms.values()),
                                        "stored": sum(min(alarms.get(d, 0), n) for d, n
                                                      in self.ledger.alarms.items())},
            "commands": {
                "sent": len(self.commands),
                "acked_by_broker": len(set(self.commands) & self.console.acked),
                "answered_once": sum(1 for c in self.commands if replies[c] == 1),
                "answered_more_than_once": sum(1 for c in self.commands if replies[c] > 1),
                "ran_more_than_once": sum(
                    1 for c in self.commands
                    if sum(st != "duplicate" for st in self.console.seen.get(c, {}).values()) > 1),
                "duplicate_replies": sum(
                    1 for c in self.commands for st in self.console.seen.get(c, {}).values()
                    if st == "duplicate"),
                "reply_redeliveries": self.console.redelivered,
                "unanswered": sum(1 for c in self.commands
                                  if replies[c] == 0 and c in self.console.acked),
                "never_reached_the_broker": sum(1 for c in self.commands
                                                if c not in self.console.acked),
                "unanswered_sent_at_s": [round(self.console.sent_at[c] - self._start, 1)
                                         for c in self.commands if replies[c] == 0],
                "resent_after_no_subscriber": self.console.resent,
                "poison_sent": len(self.poisons),
                "poison_refused_once": sum(1 for c in self.poisons if replies[c] == 1
                                           and self.console.statuses.get(c) == "refused"),
            },
            "outbox_max_depth": self.max_depth,
            "dead_letters": sum(a.outbox.dead_total for a in self.agents.values()),
            "drained": drained,
            "takeover": dict(self.takeover),
            "recovery_s": self.recovery,
            "faults": self.faults,
        }

    def _wait(self, cond: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise RuntimeError(f"soak: timed out waiting for {what}")
            time.sleep(0.1)

    def close(self) -> None:
        for agent in self.agents.values():
            agent.stop(timeout=2)
        if hasattr(self, "console"):
            self.console.close()
        for proc in self.procs.values():
            proc.kill()
            proc.wait(10)
        self.broker.stop()


def _fill(db: sqlite3.Connection) -> None:
    """Fill the outbox's disk: a page limit at the current size, then a filler table
    that takes every free page (as another process filling the partition would)."""
    db.execute("CREATE TABLE IF NOT EXISTS soak_filler (b BLOB)")
    db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
    try:
        while True:
            db.execute("INSERT INTO soak_filler VALUES (zeroblob(1024))")
    except sqlite3.OperationalError:
        pass  # full


def _free(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA max_page_count=1073741823")
    db.execute("DROP TABLE IF EXISTS soak_filler")


def run(duration_s: float = 600.0, agents: int = 50, work: Path | None = None) -> dict[str, Any]:
    """Run one soak and return its figures (the ``fleet_soak`` area)."""
    with tempfile.TemporaryDirectory(prefix="fleet-soak-") as tmp:
        soak = Soak(work or Path(tmp), agents, Schedule.for_duration(duration_s))
        try:
            return soak.run()
        finally:
            soak.close()


def main(argv: list[str] | None = None) -> int:
    from appliance.bench.main import _machine, _now, _write, merge_figures

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds [%(default)s]")
    parser.add_argument("--agents", type=int, default=50, help="real agents [%(default)s]")
    parser.add_argument("--out", type=Path, default=Path("build/bench.json"),
                        help="bench file to merge the area fleet_soak into [%(default)s]")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    result = run(args.duration, args.agents)
    old = json.loads(args.out.read_text()) if args.out.exists() else {}
    data = merge_figures(old, {"fleet_soak": result})
    data["machine"], data["date"] = _machine(), _now()
    _write(args.out, data)
    print(json.dumps(result, indent=1))
    ok = result["events"]["lost"] == 0 and result["commands"]["unanswered"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
