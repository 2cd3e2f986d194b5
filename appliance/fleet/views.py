"""Plain-text renderings for ``kiosk-fleet`` (``--json`` prints the data instead).

Every JSON object printed carries ``"v": 1`` (:mod:`appliance.system.jsonout`); the shapes
are in docs/cli-json.md.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from appliance.fleet import status
from appliance.system import jsonout


def emit(data: dict[str, Any], as_json: bool, render: Callable[[Any], str],
         clear: bool = False) -> None:
    """Print ``data``: one versioned JSON object per line, or ``render(data)`` for people."""
    if as_json:
        print(jsonout.dumps(data, default=str))
    else:
        if clear and sys.stdout.isatty():
            print("\033[2J\033[H", end="")
        print(render(data))
    sys.stdout.flush()


def _health_cell(health: dict[str, Any] | None) -> str:
    if not health:
        return "-"
    system = health.get("system", {})
    text = f"cpu {system.get('cpu_pct', '?')}% mem {system.get('mem_used_pct', '?')}%"
    return f"{text} DEGRADED" if health.get("status") == "degraded" else text


STATUS_WORD = {"online": "yes", "stale": "STALE", "offline": "NO", "unknown": "?"}


def devices_table(result: dict[str, Any]) -> str:
    """``kiosk-fleet devices``: rows annotated by :func:`appliance.fleet.status.annotate`."""
    devices: list[dict[str, Any]] = result["devices"]
    if not devices:
        return "no devices yet (is an ingester running? try 'kiosk-fleet ingest')"
    head = (f"{'DEVICE':<20} {'SITE':<14} {'ONLINE':<7} {'LAST SEEN':>11}  {'HEALTH':<31} "
            "ALARMS")
    lines = [head]
    for d in devices:
        alarms = f"{d['alarms']} ({d['last_alarm']})" if d["alarms"] else "0"
        lines.append(f"{d['device_id']:<20} {d['site']:<14} {STATUS_WORD[d['status']]:<7} "
                     f"{status.human_age(d['age_s']):>11}  {_health_cell(d['health']):<31} "
                     f"{alarms}")
    online = sum(1 for d in devices if d["status"] == "online")
    stale = sum(1 for d in devices if d["status"] == "stale")
    lines.append(f"{len(devices)} devices, {online} online"
                 + (f", {stale} STALE (silent for 3 health intervals)" if stale else ""))
    return "\n".join(lines)


def _when(ts: Any, now: float) -> str:
    """A device timestamp as local time and age: ``08:31:02 (12 s ago)``."""
    if not isinstance(ts, (int, float)):
        return "?"
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(ts))} " \
           f"({status.human_age(now - ts)})"


def device_detail(info: dict[str, Any], full: bool = False) -> str:
    """``kiosk-fleet show``: the device at a glance; ``full`` adds every field uncut."""
    now = time.time()
    birth = info.get("birth") or {}
    health = info.get("health") or {}
    word = {"online": "online", "stale": "STALE (online, but silent for 3 health intervals)",
            "offline": "OFFLINE", "unknown": "?"}[info["status"]]
    lines = [
        f"{info['device_id']} (site {info['site']}): {word} [{info['reason']}] "
        f"bdSeq {info['bdseq']}, last heard {status.human_age(info['age_s'])}",
        f"  firmware {birth.get('firmware', '?')}, capabilities: "
        f"{', '.join(birth.get('capabilities', [])) or '?'}",
        f"  config: {status.config_cell(info)[0]}",
        f"  health ({_when(health.get('ts'), now)}): {_health_cell(health)}; "
        f"status {health.get('status', '?')}",
    ]
    for reason in health.get("degraded") or []:
        lines.append(f"    degraded: {reason}")
    for name, cell in (("engines", status.engines_cell), ("response p50", status.latency_cell),
                       ("turns", status.turns_cell), ("outbox", status.outbox_cell),
                       ("link", status.link_cell)):
        lines.append(f"  {name}: {cell(health)[0]}")
    lines.append(f"  alarms: {status.alarms_cell(info)[0]}")
    if full:
        lines.append("  health (full):")
        lines += ["    " + line for line in json.dumps(health, indent=2, sort_keys=True,
                                                        default=str).splitlines()]
    lines.append("  recent:")
    for event in info.get("recent", []):
        body = json.dumps(event["body"], default=str, sort_keys=True)
        if not full and len(body) > 90:
            body = body[:89] + "…"  # --full (or --json) prints it whole
        ts = event.get("ts")
        age = status.human_age(now - ts) if isinstance(ts, (int, float)) else "?"
        lines.append(f"    #{event['seq']:<6} {age:>11}  {event['kind']:<16} {body}")
    if not full:
        lines.append("  (cut to fit: --full or --json for everything)")
    return "\n".join(lines)


def reply_text(reply: dict[str, Any]) -> str:
    status = reply.get("status", "?")
    detail = reply.get("result") if status == "ok" else reply.get("error") or reply.get("result")
    code = f" [{reply['code']}]" if reply.get("code") else ""
    return f"{reply.get('cmd')} {status}{code}: {json.dumps(detail, default=str)}"


def stats_line(stats: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """The ingester's counters, with what changed since the last line."""
    line = ("ingested {received} messages, stored {stored}, duplicates {duplicates}, "
            "backlog {backlog}".format(**stats))
    if previous:
        delta = stats["stored"] - previous["stored"]
        line += f" (+{delta} stored)" if delta else ""
    return f"{time.strftime('%H:%M:%S')} {line}"


def rollout_text(summary: dict[str, Any]) -> str:
    verdict = "ABORTED" if summary["aborted"] else "finished"
    return (f"rollout {verdict}: {len(summary['ok'])} ok, {len(summary['failed'])} failed "
            f"({summary['failure_pct']}%), {len(summary['not_started'])} not started")
