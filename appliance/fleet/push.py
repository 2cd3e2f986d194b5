"""``kiosk-fleet config push`` with feedback: refuse a stale version, publish the
retained desired config, then wait (bounded) for each device's ``cfg/reported``.

Before publishing, the retained ``cfg/desired`` and ``cfg/reported`` of every
target are read from the broker (they are the truth the devices see), so a version
that is not above both is refused for that device: versions only grow. After
publishing, each device's report for this version says ``applied`` (with what
changed live and whether it restarts), ``rejected`` (with the key, value and what
is allowed), ``rolled-back``, or nothing arrives within the wait.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from appliance.fleet.client import FleetClient
from appliance.telemetry import link
from appliance.telemetry.topics import DeviceTopics
from appliance.telemetry.topics import parse as parse_topic

RETAINED_WAIT_S = 1.0
"""How long retained messages may take to arrive after a subscription."""


@dataclass
class Outcome:
    """One device's answer to a push."""

    site: str
    device: str
    status: str = "no-answer"
    """``applied``, ``current``, ``rejected``, ``rolled-back``, ``stale`` or ``no-answer``."""
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"site": self.site, "device": self.device, "status": self.status, **self.detail}


class _Watch:
    """Retained and live ``cfg/desired`` / ``cfg/reported`` of the targets."""

    def __init__(self, targets: list[tuple[str, str]]) -> None:
        self.wanted = {device for _site, device in targets}
        self.desired: dict[str, int] = {}
        self.reports: dict[str, list[dict[str, Any]]] = {}
        self.cv = threading.Condition()

    def __call__(self, msg: mqtt.MQTTMessage) -> None:
        parsed = parse_topic(msg.topic)
        if parsed is None or parsed.device_id not in self.wanted or parsed.kind != "cfg":
            return
        try:
            body = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            return
        if not isinstance(body, dict):
            return
        with self.cv:
            if parsed.rest == "desired" and isinstance(body.get("version"), int):
                self.desired[parsed.device_id] = body["version"]
            elif parsed.rest == "reported":
                self.reports.setdefault(parsed.device_id, []).append(body)
            self.cv.notify_all()

    def known_version(self, device: str) -> int:
        reported = [r.get("version") for r in self.reports.get(device, [])]
        versions = [v for v in (*reported, self.desired.get(device)) if isinstance(v, int)]
        return max(versions, default=0)

    def answer(self, device: str, version: int) -> dict[str, Any] | None:
        for report in reversed(self.reports.get(device, [])):
            if report.get("desired_version") == version:
                return report
        return None


def push(client: FleetClient, targets: list[tuple[str, str]], version: int,
         config: dict[str, Any], wait_s: float = 30.0) -> list[Outcome]:
    """Push ``config`` as ``version`` to each target and collect the answers."""
    watch = _Watch(targets)
    for site in sorted({s for s, _d in targets}):
        client.subscribe(f"kiosk/v1/{site}/+/cfg/+", watch)
    time.sleep(RETAINED_WAIT_S)
    outcomes = [Outcome(site, device) for site, device in targets]
    pending: list[Outcome] = []
    payload = link.dumps({"version": version, "config": config})
    for out in outcomes:
        known = watch.known_version(out.device)
        if version <= known:
            out.status = "stale"
            out.detail = {"error": "config-stale",
                          "reason": f"the device already has or was sent v{known}; "
                                    f"push a version above {known}"}
            continue
        client.publish_acked(DeviceTopics(out.site, out.device).cfg_desired, payload,
                             retain=True)
        pending.append(out)
    deadline = time.monotonic() + wait_s
    with watch.cv:
        while pending and time.monotonic() < deadline:
            for out in list(pending):
                report = watch.answer(out.device, version)
                if report is not None:
                    out.status = str(report.get("status"))
                    out.detail = {k: report[k] for k in
                                  ("error", "problems", "restart", "changed", "hot")
                                  if k in report}
                    pending.remove(out)
            if pending:
                watch.cv.wait(max(0.0, min(0.5, deadline - time.monotonic())))
    return outcomes


def summary_text(result: dict[str, Any]) -> str:
    """The human lines: one per device, then a count."""
    lines = []
    for out in result["devices"]:
        line = f"{out['device']}: {out['status']}"
        if out.get("restart") and out["restart"] != "none":
            line += f" (restart: {out['restart']})"
        if out.get("problems"):
            line += " - " + "; ".join(out["problems"][:3])
        elif out.get("reason"):
            line += " - " + out["reason"]
        lines.append(line)
    counts: dict[str, int] = {}
    for out in result["devices"]:
        counts[out["status"]] = counts.get(out["status"], 0) + 1
    lines.append(f"config v{result['version']}: "
                 + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return "\n".join(lines)
