"""Fleet benchmark: ingestion throughput and lag, and the device agent's cost.

A private Mosquitto (TLS + the shipped ACL) on loopback; N simulated devices in
this process (:mod:`appliance.fleet.simdevices`, one TLS socket and certificate
each) publish health JSON. Ingesters run in their own processes (each with its
own SQLite store, as shards of one database would be):

* ``ingest_1``: one ingester; ``ingest_2``: two sharing ``$share/bench/...``;
  msgs/s from the first publish to the last message stored, and lag p95
  (device ``ts`` to stored) while publishing at a steady ``paced_rate``;
* ``agent``: one real :class:`TelemetryAgent` sending health through its
  outbox: CPU ms and RSS per health message, and outbox replay after an outage.

Run: ``python -m appliance.bench.fleet [--quick]``.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from appliance.fleet.client import BrokerConfig, FleetClient
from appliance.fleet.simdevices import SimDevice, device_context
from appliance.settings import TelemetrySettings
from appliance.telemetry import builtins
from appliance.telemetry.mosquitto import FLEET_USER, MosquittoBroker
from appliance.telemetry.pki import CertAuthority

SITE = "bench"


def _health(device: str, seq: int) -> bytes:
    return json.dumps({
        "ts": time.time(), "seq": seq, "system": {"cpu_pct": 23.5, "mem_used_pct": 41.2,
                                                  "gpu_pct": 12.0, "temps_c": {"cpu": 51.2}},
        "engines": {k: {"state": "ok", "p50_ms": 80.0, "p95_ms": 140.0}
                    for k in ("vad", "asr", "nlu", "tts")},
        "conversation": {"engaged": 12, "turns": 40, "answered": 37, "handed_off": 1},
        "device": device,
    }).encode()


def _ingester_proc(broker: BrokerConfig, db: str, group: str,
                   written: Any, ready: Any, paced: Any, stop: Any, out: Any) -> None:
    from appliance.fleet.ingest import Ingester
    from appliance.fleet.store import FleetStore

    store = FleetStore(Path(db))
    ing = Ingester(broker, store, group=group).start()
    ready.set()
    last = 0
    cleared = False
    while not stop.is_set():
        time.sleep(0.02)
        if paced.is_set() and not cleared:
            ing.lag_s.clear()  # keep only the paced phase's lags
            cleared = True
        with written.get_lock():
            written.value += ing.written - last
        last = ing.written
    out.put({"lags": list(ing.lag_s), "received": ing.received})
    ing.stop(keep_session=False)
    store.close()


def _run_ingest(brokers: list[BrokerConfig], devices: list[SimDevice],
                per_device: int, paced_rate: float, paced_s: float, work: Path) -> dict[str, Any]:
    n_ingesters = len(brokers)
    ctx = mp.get_context("spawn")
    written, stop, paced, out = ctx.Value("q", 0), ctx.Event(), ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(n_ingesters)]
    group = f"bench{n_ingesters}"
    procs = [ctx.Process(target=_ingester_proc, args=(
        brokers[i], str(work / f"{group}-{i}.db"), group, written, readies[i],
        paced, stop, out)) for i in range(n_ingesters)]
    for p in procs:
        p.start()
    for r in readies:
        r.wait(60)
    time.sleep(0.5)
    # burst: as fast as this process can publish
    total = len(devices) * per_device
    t0 = time.monotonic()
    for k in range(per_device):
        for dev in devices:
            dev.publish(f"kiosk/v1/{SITE}/{dev.device_id}/health", _health(dev.device_id, k + 1))
    publish_s = time.monotonic() - t0
    deadline = time.monotonic() + 120
    while written.value < total and time.monotonic() < deadline:
        time.sleep(0.01)
    ingest_s = time.monotonic() - t0
    burst_done = written.value
    # paced: a steady rate, for the lag
    n_paced = int(paced_rate * paced_s)
    paced.set()
    time.sleep(0.1)
    t1 = time.monotonic()
    for i in range(n_paced):
        dev = devices[i % len(devices)]
        dev.publish(f"kiosk/v1/{SITE}/{dev.device_id}/health",
                    _health(dev.device_id, per_device + 1 + i // len(devices)))
        wait = t1 + (i + 1) / paced_rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    deadline = time.monotonic() + 60
    while written.value < total + n_paced and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    paced_lags = [x for r in results for x in r["lags"]]
    return {
        "ingesters": n_ingesters,
        "messages": total,
        "stored": burst_done,
        "publish_msgs_per_s": round(total / publish_s),
        "ingest_msgs_per_s": round(burst_done / ingest_s),
        "per_ingester_received": [r["received"] for r in results],
        "paced_rate_msgs_per_s": paced_rate,
        "lag_ms": _pcts(paced_lags),
    }


def _pcts(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None}
    values = sorted(values)
    return {"p50": round(1000 * values[len(values) // 2], 1),
            "p95": round(1000 * values[min(len(values) - 1, int(len(values) * 0.95))], 1)}


def _agent_cost(broker_conf: BrokerConfig, ca: CertAuthority, broker: MosquittoBroker,
                work: Path, n: int) -> dict[str, Any]:
    from appliance.telemetry import TelemetryAgent

    issued = ca.issue("bench-agent")
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    host = FleetClient(broker_conf, client_id="bench-host", host_presence=True)
    host.subscribe("kiosk/v1/#", lambda _msg: None)  # telemetry is routed to someone
    with host:
        agent = TelemetryAgent(TelemetrySettings(
            host="localhost", port=broker.port, ca_file=str(ca.ca_file),
            cert_file=str(issued.cert), key_file=str(issued.key), heartbeat_s=3600,
            health_min_interval_s=3600, backoff_initial_s=0.2, backoff_max_s=1.0),
            site=SITE, device_id="bench-agent", data_dir=work / "agent")
        builtins.install(agent)  # rebirth, selftest, logs
        agent.start()
        agent.wait_connected(10)
        time.sleep(1.0)
        rss1 = proc.memory_info().rss
        cpu0, t0 = proc.cpu_times(), time.monotonic()
        for _ in range(n):
            acked = agent.stats["acked"]
            agent.health_now()
            while agent.stats["acked"] == acked:
                time.sleep(0.0005)
        cpu1, wall = proc.cpu_times(), time.monotonic() - t0
        rss2 = proc.memory_info().rss
        # outage: queue while the broker is down, then time the replay
        broker.stop()
        while agent.connected:
            time.sleep(0.05)
        backlog = 5 * n
        t_q = time.monotonic()
        for i in range(backlog):
            agent.publish_event("tick", {"i": i})
        enqueue_s = time.monotonic() - t_q
        broker.start()
        t_up = time.monotonic()
        agent.wait_connected(30)
        t_r = time.monotonic()
        while len(agent.outbox) and time.monotonic() - t_r < 120:
            time.sleep(0.02)
        replay_s = time.monotonic() - t_r
        outbox_bytes = (work / "agent" / "outbox.db").stat().st_size
        agent.stop()
    cpu_s = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    return {
        "health_messages": n,
        "cpu_ms_per_health_msg": round(1000 * cpu_s / n, 2),
        "wall_ms_per_health_msg": round(1000 * wall / n, 2),
        "rss_agent_mb": round((rss1 - rss0) / 2**20, 1),
        "rss_growth_kb_per_health_msg": round((rss2 - rss1) / 1024 / n, 2),
        "outbox_enqueue_us_per_msg": round(1e6 * enqueue_s / backlog, 1),
        "outage_backlog_msgs": backlog,
        "reconnect_after_broker_back_s": round(t_r - t_up, 2),
        "replay_after_reconnect_s": round(replay_s, 2),
        "replay_msgs_per_s": round(backlog / replay_s) if replay_s else None,
        "outbox_file_kb": outbox_bytes // 1024,
    }


def run(quick: bool = False) -> dict[str, Any]:
    n_devices = 1000
    per_device = 3 if quick else 10
    paced_rate, paced_s = (500.0, 2.0) if quick else (1000.0, 5.0)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        work = Path(tmp)
        ca = CertAuthority(work / "pki")
        server = ca.issue("localhost", server=True)
        # one certificate per fleet client: the broker takes the client id from it
        names = (FLEET_USER, "fleet.ingest-1", "fleet.ingest-2a", "fleet.ingest-2b")
        fleet = {name: ca.issue(name) for name in names}
        broker = MosquittoBroker(work / "broker", ca_file=ca.ca_file, cert_file=server.cert,
                                 key_file=server.key, crl_file=ca.write_crl(), fleet_users=names)
        broker.start()
        try:
            confs = {name: BrokerConfig("localhost", broker.port, str(ca.ca_file),
                                        str(who.cert), str(who.key))
                     for name, who in fleet.items()}
            conf = confs[FLEET_USER]
            t0 = time.monotonic()
            shared_key = ca.issue("sim-key-holder")
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_pem_private_key(shared_key.key.read_bytes(), None)
            devices = []
            for i in range(n_devices):
                issued = ca.issue(f"sim-{i:05d}", key=key)  # type: ignore[arg-type]
                devices.append(SimDevice(f"sim-{i:05d}", device_context(
                    ca.ca_file, issued.cert, issued.key), "localhost", broker.port))
            connect_s = time.monotonic() - t0
            one = _run_ingest([confs["fleet.ingest-1"]], devices, per_device, paced_rate,
                              paced_s, work)
            two = _run_ingest([confs["fleet.ingest-2a"], confs["fleet.ingest-2b"]], devices,
                              per_device, paced_rate, paced_s, work)
            for dev in devices:
                dev.close()
            agent = _agent_cost(conf, ca, broker, work, 100 if quick else 300)
        finally:
            broker.stop()
    return {
        "devices": n_devices,
        "devices_connect_s": round(connect_s, 2),
        "ingest_1": one,
        "ingest_2": two,
        "agent": agent,
        "cpu_count": psutil.cpu_count(),
        "note": "2-core shared machine; ingesters are separate processes with their own store",
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
