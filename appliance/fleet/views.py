"""Plain-text renderings for ``kiosk-fleet`` (``--json`` prints the data instead).

Every JSON object printed carries ``"v": 1`` (:mod:`appliance.jsonout`); the shapes
are in docs/cli-json.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from appliance import jsonout


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
    return f"cpu {system.get('cpu_pct', '?')}% mem {system.get('mem_used_pct', '?')}%"


def devices_table(result: dict[str, Any]) -> str:
    devices: list[dict[str, Any]] = result["devices"]
    if not devices:
        return "no devices yet (is an ingester running? try 'kiosk-fleet ingest')"
    head = f"{'DEVICE':<20} {'SITE':<14} {'ONLINE':<7} {'LAST SEEN':>10}  {'HEALTH':<22} ALARMS"
    lines = [head]
    for d in devices:
        age = "-" if d["age_s"] is None else f"{d['age_s']:.0f}s ago"
        alarms = f"{d['alarms']} ({d['last_alarm']})" if d["alarms"] else "0"
        lines.append(f"{d['device_id']:<20} {d['site']:<14} {'yes' if d['online'] else 'NO':<7} "
                     f"{age:>10}  {_health_cell(d['health']):<22} {alarms}")
    online = sum(1 for d in devices if d["online"])
    lines.append(f"{len(devices)} devices, {online} online")
    return "\n".join(lines)


def device_detail(info: dict[str, Any]) -> str:
    birth = info.get("birth") or {}
    lines = [
        f"{info['device_id']} (site {info['site']}): "
        f"{'online' if info['online'] else 'OFFLINE'} [{info['reason']}] bdSeq {info['bdseq']}",
        f"  firmware {birth.get('firmware', '?')}, config v{(info.get('cfg') or {}).get('version')}"
        f", capabilities: {', '.join(birth.get('capabilities', [])) or '?'}",
        f"  health: {_health_cell(info.get('health'))}; alarms {info['alarms']}",
        "  recent:",
    ]
    for event in info.get("recent", []):
        lines.append(f"    #{event['seq']:<6} {event['kind']:<16} "
                     f"{json.dumps(event['body'], default=str)[:90]}")
    return "\n".join(lines)


def reply_text(reply: dict[str, Any]) -> str:
    status = reply.get("status", "?")
    detail = reply.get("result") if status == "ok" else reply.get("error") or reply.get("result")
    code = f" [{reply['code']}]" if reply.get("code") else ""
    return f"{reply.get('cmd')} {status}{code}: {json.dumps(detail, default=str)}"


def stats_line(stats: dict[str, Any]) -> str:
    return ("ingested {received} messages, stored {stored}, duplicates {duplicates}, "
            "backlog {backlog}".format(**stats))


def rollout_text(summary: dict[str, Any]) -> str:
    verdict = "ABORTED" if summary["aborted"] else "finished"
    return (f"rollout {verdict}: {len(summary['ok'])} ok, {len(summary['failed'])} failed "
            f"({summary['failure_pct']}%), {len(summary['not_started'])} not started")
