"""What a device row means to an operator: online/STALE/offline, ages, the health columns.

Pure functions over the store's device rows and plain numbers (``now`` is given),
so the console, ``devices`` and ``show`` agree and the tests need no clock.

A device is **STALE** when the broker never said it went away (no will, no
offline ``state``) but nothing arrived for three health intervals: health is sent
at least every heartbeat (``heartbeat_s`` in its birth or health when the agent
says so, else the default 60 s), so three missed ones mean it is not talking, whatever
the last ``state`` says (e.g. no ingester was running when its will was published).
"""

from __future__ import annotations

from typing import Any

DEFAULT_HEARTBEAT_S = 60.0
STALE_AFTER = 3
"""Missed health intervals before an 'online' device is shown STALE."""
HEADLINE_LATENCY = "end_of_speech_to_first_audio"
"""The latency a visitor feels: end of their speech to the avatar's first audio."""


def heartbeat_of(device: dict[str, Any]) -> float:
    """The device's health interval: from its health or birth when given, else 60 s."""
    for part in (device.get("health"), device.get("birth")):
        if isinstance(part, dict):
            value = part.get("heartbeat_s")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                return float(value)
    return DEFAULT_HEARTBEAT_S


def link_status(device: dict[str, Any], now: float) -> str:
    """``online``, ``stale`` (said online, silent for 3 heartbeats), ``offline``, ``unknown``."""
    if not device.get("online"):
        return "offline"
    last = device.get("last_seen")
    if not isinstance(last, (int, float)):
        return "unknown"
    return "stale" if now - last > STALE_AFTER * heartbeat_of(device) else "online"


def annotate(device: dict[str, Any], now: float) -> dict[str, Any]:
    """The row with ``status``, ``heartbeat_s`` and a fresh ``age_s`` (as of ``now``)."""
    last = device.get("last_seen")
    return {**device, "status": link_status(device, now), "heartbeat_s": heartbeat_of(device),
            "age_s": None if not isinstance(last, (int, float)) else round(now - last, 1)}


def human_age(seconds: float | None) -> str:
    """``12 s ago``, ``4 min ago``, ``3 h ago``, ``2 d ago``; ``never`` for None."""
    if seconds is None:
        return "never"
    s = max(0.0, seconds)
    if s < 90:
        return f"{s:.0f} s ago"
    if s < 90 * 60:
        return f"{s / 60:.0f} min ago"
    if s < 36 * 3600:
        return f"{s / 3600:.0f} h ago"
    return f"{s / 86400:.0f} d ago"


def engines_cell(health: dict[str, Any]) -> tuple[str, str]:
    """(text, level) for the engines: ``6 ok`` or the families not ok."""
    engines = health.get("engines")
    if not isinstance(engines, dict) or not engines:
        return "-", "dim"
    bad = sorted(f for f, e in engines.items() if isinstance(e, dict) and e.get("state") != "ok")
    if bad:
        return f"{', '.join(bad)} degraded", "warn"
    return f"{len(engines)} ok", "ok"


def latency_cell(health: dict[str, Any]) -> tuple[str, str]:
    """(text, level): p50 of end of speech to first audio (ms), amber over 1.5 s."""
    latency = health.get("latency_ms")
    stats = latency.get(HEADLINE_LATENCY) if isinstance(latency, dict) else None
    if not isinstance(stats, dict) or not stats.get("n"):
        return "-", "dim"
    p50 = float(stats.get("p50", 0))
    return f"{p50:.0f} ms", "warn" if p50 > 1500 else "ok"


def turns_cell(health: dict[str, Any]) -> tuple[str, str]:
    """(text, level): turns, with errors when there were any."""
    conv = health.get("conversation")
    if not isinstance(conv, dict):
        return "-", "dim"
    errors = int(conv.get("errors", 0) or 0)
    text = str(conv.get("turns", 0))
    return (f"{text} ({errors} err)", "warn") if errors else (text, "ok")


def outbox_cell(health: dict[str, Any]) -> tuple[str, str]:
    """(text, level): pending telemetry on the device's disk, dead letters, shed."""
    box = health.get("outbox")
    if not isinstance(box, dict):
        return "-", "dim"
    pending = int(box.get("pending", 0) or 0)
    dead = int(box.get("dead_total", 0) or 0)
    shed = int(box.get("shed_total", 0) or 0)
    parts = [str(pending)]
    if dead:
        parts.append(f"dead {dead}")
    if shed:
        parts.append(f"shed {shed}")
    level = "bad" if dead else "warn" if shed or pending > 100 else "ok"
    return " ".join(parts), level


def link_cell(health: dict[str, Any]) -> tuple[str, str]:
    """(text, level): reconnects so far; 'held' while the device holds its outbox."""
    link = health.get("link")
    if not isinstance(link, dict):
        return "-", "dim"
    reconnects = int(link.get("reconnects", 0) or 0)
    held = isinstance(health.get("outbox"), dict) and health["outbox"].get("held")
    text = "held" if held else "ok"
    if reconnects:
        text += f" ↻{reconnects}"
    return text, "warn" if held or reconnects > 3 else "ok"


def config_cell(device: dict[str, Any]) -> tuple[str, str]:
    """(text, level): the config version applied vs desired (from ``cfg/reported``).

    A row that knows the pushed version itself (``desired_version``) is preferred
    to the one the device last saw.
    """
    cfg = device.get("cfg")
    if not isinstance(cfg, dict):
        return "-", "dim"
    applied = cfg.get("version")
    desired = device.get("desired_version", cfg.get("desired_version"))
    status = str(cfg.get("status", ""))
    if status == "rejected":
        reason = cfg.get("error") or "rejected"
        return f"v{applied} (v{desired} {reason})", "bad"
    if desired is not None and desired != applied:
        return f"v{applied} → v{desired}", "warn"
    return f"v{applied}", "ok"


def alarms_cell(device: dict[str, Any]) -> tuple[str, str]:
    count = int(device.get("alarms") or 0)
    if not count:
        return "0", "ok"
    return f"{count} ({device.get('last_alarm')})", "bad"
