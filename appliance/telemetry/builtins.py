"""Commands the agent answers by itself: ``rebirth``, ``selftest``, ``logs``.

The others of the vocabulary (``restart``, ``reboot``, ``say``, ``set-volume``,
``screenshot``, ``update``) need the kiosk: it registers them with
:meth:`TelemetryAgent.register_command`; until then they answer ``unsupported``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import InputError, KioskError
from appliance.settings import state_dir

if TYPE_CHECKING:
    from appliance.telemetry.agent import TelemetryAgent

MAX_LOG_LINES = 5000


def install(agent: TelemetryAgent) -> None:
    agent.register_command("rebirth", lambda _args: _rebirth(agent))
    agent.register_command("selftest", lambda args: selftest(agent, args))
    agent.register_command("logs", lambda args: tail_logs(_log_path(agent), args,
                                                          agent.settings.logs_max_bytes))


def _rebirth(agent: TelemetryAgent) -> dict[str, Any]:
    agent.rebirth()
    return {"birth": "sent"}


def _log_path(agent: TelemetryAgent) -> Path:
    return Path(agent.settings.log_file or state_dir() / "log/kiosk.log")


def selftest(agent: TelemetryAgent, _args: dict[str, Any]) -> dict[str, Any]:
    """Checks the agent can do its job; the result also goes out as ``evt/selftest``."""
    checks: dict[str, dict[str, Any]] = {}
    free = shutil.disk_usage(agent.data_dir).free
    checks["disk"] = {"ok": free > 64 * 2**20, "free_mb": free // 2**20}
    try:
        probe = agent.data_dir / ".selftest"
        probe.write_text(str(time.time()))
        probe.unlink()
        checks["state_writable"] = {"ok": True}
    except OSError as exc:
        checks["state_writable"] = {"ok": False, "error": str(exc)}
    checks["broker"] = {"ok": agent.connected}
    checks["outbox"] = {"ok": len(agent.outbox) < agent.outbox.max_messages,
                        "pending": len(agent.outbox)}
    result = {"passed": all(c["ok"] for c in checks.values()), "checks": checks}
    agent.publish_event("selftest", result, alarm=False)
    return result


def tail_logs(path: Path, args: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """The last ``args["lines"]`` lines (default 200) of ``path``, capped at ``max_bytes``."""
    lines = args.get("lines", 200)
    if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= MAX_LOG_LINES:
        raise InputError(f"'lines' must be an integer 1..{MAX_LOG_LINES}")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            fh.seek(max(0, size - max_bytes))
            data = fh.read(max_bytes)
    except OSError as exc:
        raise KioskError(f"cannot read {path}: {exc.strerror}", code="logs-unavailable") from exc
    text = data.decode("utf-8", "replace").splitlines()[-lines:]
    return {"file": str(path), "lines": text, "truncated": size > max_bytes}
