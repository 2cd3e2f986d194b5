"""Nothing lost: device kill -9, broker kill -9, outages, restarts mid-command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fleet_helpers import SITE, agent_settings, wait_for

HERE = Path(__file__).parent


def _spawn_device(tmp_path: Path, settings: Any, device_id: str) -> subprocess.Popen[bytes]:
    cfg = {"telemetry": asdict(settings), "site": SITE, "device_id": device_id,
           "data_dir": str(tmp_path / device_id), "runs_file": str(tmp_path / "runs.txt")}
    cfg_file = tmp_path / f"{device_id}.json"
    cfg_file.write_text(json.dumps(cfg))
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[2])}
    proc = subprocess.Popen([sys.executable, str(HERE / "device_proc.py"), str(cfg_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    return proc


def test_last_will_on_kill_9_of_the_device(fleet: Any, broker: Any, pki: Any,
                                           tmp_path: Path) -> None:
    _client, rec = fleet
    proc = _spawn_device(tmp_path, agent_settings(broker, pki, "dev-k"), "dev-k")
    try:
        online = wait_for(lambda: [s for s in rec.on("dev-k/state") if s["online"]],
                          what="online state")[-1]
        wait_for(lambda: rec.on("dev-k/birth"), what="birth")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        dead = wait_for(lambda: [s for s in rec.on("dev-k/state") if not s["online"]],
                        what="last will")[-1]
        assert dead["reason"] == "lost" and dead["bdSeq"] == online["bdSeq"]
    finally:
        proc.kill()
        proc.wait()


def test_broker_kill_9_every_seq_exactly_once_after_dedup(fleet: Any, broker: Any,
                                                          make_agent: Any) -> None:
    _client, rec = fleet
    agent = make_agent("dev-s")
    wait_for(lambda: agent.listening, what="connect")
    sent: list[int] = []

    def stream() -> None:
        for i in range(300):
            sent.append(agent.publish_event("tick", {"i": i}))
            time.sleep(0.01)

    writer = threading.Thread(target=stream)
    writer.start()
    wait_for(lambda: len(rec.on("evt/tick")) > 50, what="stream under way")
    broker.kill9()
    time.sleep(1.0)
    broker.start()
    writer.join()
    wait_for(lambda: {m["seq"] for m in rec.on("dev-s/evt/tick")} >= set(sent), timeout=30,
             what="every seq after the broker restart")
    seqs = [m["seq"] for m in rec.on("dev-s/evt/tick")]
    assert sorted(set(seqs)) == sorted(sent)  # exactly once after dedup, none missing
    assert len(agent.outbox) == 0 or wait_for(lambda: len(agent.outbox) == 0, what="drain")


def test_outbox_replays_in_order_after_a_broker_outage(fleet: Any, broker: Any,
                                                       make_agent: Any) -> None:
    _client, rec = fleet
    agent = make_agent("dev-o")
    wait_for(lambda: agent.listening, what="connect")
    broker.stop()
    wait_for(lambda: not agent.connected, what="agent notices the outage")
    offline = [agent.publish_event("tick", {"i": i}) for i in range(200)]
    alarm = agent.publish_event("overheat", {"temp_c": 91})
    time.sleep(2.0)  # a short partition; bench_fleet measures long ones
    broker.start()
    wait_for(lambda: len({m["seq"] for m in rec.on("dev-o/evt/tick")}) == 200, timeout=30,
             what="replay")
    first_seen: list[int] = []
    for m in rec.on("dev-o/evt/tick"):
        if m["seq"] not in first_seen:
            first_seen.append(m["seq"])
    assert first_seen == offline
    assert all(m.get("historical") is True for m in rec.on("dev-o/evt/tick"))
    assert wait_for(lambda: rec.on("dev-o/evt/overheat"), what="alarm")[0]["seq"] == alarm


def test_killed_mid_command_never_runs_twice(fleet: Any, broker: Any, pki: Any,
                                             tmp_path: Path) -> None:
    client, rec = fleet
    settings = agent_settings(broker, pki, "dev-c")
    proc = _spawn_device(tmp_path, settings, "dev-c")
    runs = tmp_path / "runs.txt"
    try:
        wait_for(lambda: rec.on("dev-c/birth"), what="birth")
        box: list[Any] = []
        sender = threading.Thread(target=lambda: box.append(_try_command(
            client, "sleep", {"s": 60, "tag": "x"}, "cmd-42")))
        sender.start()
        wait_for(lambda: runs.exists() and runs.read_text() == "x\n", what="command started")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sender.join()
        proc = _spawn_device(tmp_path, settings, "dev-c")
        interrupted = wait_for(lambda: [r for r in rec.on("dev-c/res")
                                        if r.get("status") == "interrupted"], what="interrupted")
        assert interrupted[0]["id"] == "cmd-42"
        retry = client.command(SITE, "dev-c", "sleep", {"s": 0, "tag": "x"}, cmd_id="cmd-42",
                               timeout=15)
        assert retry["status"] == "duplicate" and retry["result"]["state"] == "interrupted"
        assert runs.read_text() == "x\n"  # ran exactly once
    finally:
        proc.terminate()
        proc.wait()


def _try_command(client: Any, name: str, args: dict[str, Any], cmd_id: str) -> Any:
    try:
        return client.command(SITE, "dev-c", name, args, cmd_id=cmd_id, timeout=3)
    except Exception as exc:
        return exc


def test_half_open_link_is_dropped(fleet: Any, broker: Any, make_agent: Any) -> None:
    agent = make_agent("dev-h", keepalive_s=2)
    wait_for(lambda: agent.listening, what="connect")
    broker.pause()
    try:
        wait_for(lambda: not agent.connected, timeout=20, what="half-open detection")
    finally:
        broker.resume()
    wait_for(lambda: agent.connected, timeout=20, what="reconnect")
