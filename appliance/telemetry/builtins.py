"""Commands the agent answers by itself (``rebirth``, ``selftest``, ``logs``) and the
system side of those the kiosk registers (``restart``, ``reboot``, ``screenshot``).

A command is registered (and so listed in the birth message's ``capabilities``)
only where it can work: ``restart`` under systemd (which starts the kiosk again),
``reboot`` where logind says this process may reboot, ``screenshot`` when the
avatar serves its frames. Elsewhere the router answers ``cmd-unsupported``.
``logs`` reads the journal under systemd, else the file ``kiosk run`` writes.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import InputError, KioskError
from appliance.settings import default_log_path

if TYPE_CHECKING:
    from appliance.telemetry.agent import TelemetryAgent

MAX_LOG_LINES = 5000


def install(agent: TelemetryAgent) -> None:
    agent.register_command("rebirth", lambda _args: _rebirth(agent))
    agent.register_command("selftest", lambda args: selftest(agent, args))
    agent.register_command("logs", lambda args: logs(agent, args))


def _rebirth(agent: TelemetryAgent) -> dict[str, Any]:
    agent.rebirth()
    return {"birth": "sent"}


def _log_path(agent: TelemetryAgent) -> Path:
    return Path(agent.settings.log_file) if agent.settings.log_file else default_log_path()


SERVICE_UNIT = "kiosk.service"
MAX_SCREENSHOT_BYTES = 512 * 1024
"""A screenshot reply stays under this (before base64); larger frames are shrunk."""


def under_systemd(environ: Mapping[str, str] | None = None) -> bool:
    """True when a systemd service runs this process (it will be started again)."""
    env = os.environ if environ is None else environ
    return bool(env.get("NOTIFY_SOCKET") or env.get("INVOCATION_ID"))


def reboot_permitted(run: Callable[..., Any] = subprocess.run) -> bool:
    """True when logind answers ``CanReboot`` with ``yes`` for this process (no prompt)."""
    if not Path("/run/systemd/system").is_dir() or shutil.which("busctl") is None:
        return False
    try:
        proc = run(["busctl", "call", "org.freedesktop.login1", "/org/freedesktop/login1",
                    "org.freedesktop.login1.Manager", "CanReboot"],
                   capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == 's "yes"'


def reboot(_args: dict[str, Any], delay_s: float = 2.0) -> dict[str, Any]:
    """Reboot through logind (``systemctl reboot``) after the reply has left."""

    def later() -> None:
        time.sleep(delay_s)
        subprocess.run(["systemctl", "reboot"], check=False, timeout=30)

    threading.Thread(target=later, name="reboot", daemon=True).start()
    return {"rebooting_in_s": delay_s}


def screenshot(jpeg: Callable[[], bytes | None],
               max_bytes: int = MAX_SCREENSHOT_BYTES) -> dict[str, Any]:
    """The avatar's current frame as base64 JPEG, shrunk until it fits ``max_bytes``."""
    data = jpeg()
    if data is None:
        raise KioskError("no avatar frame yet", code="screenshot-unavailable", retryable=True)
    for _ in range(4):
        if len(data) <= max_bytes:
            break
        data = _shrink(data)
    if len(data) > max_bytes:
        raise KioskError(f"frame is {len(data)} bytes even shrunk", code="screenshot-too-large")
    return {"format": "jpeg", "bytes": len(data),
            "jpeg_base64": base64.b64encode(data).decode("ascii")}


def _shrink(data: bytes) -> bytes:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise KioskError("the avatar frame is not a JPEG", code="screenshot-unavailable")
    half = cv2.resize(image, (max(1, image.shape[1] // 2), max(1, image.shape[0] // 2)),
                      interpolation=cv2.INTER_AREA)
    ok, out = cv2.imencode(".jpg", half, [cv2.IMWRITE_JPEG_QUALITY, 70])
    if not ok:
        raise KioskError("cannot encode the frame", code="screenshot-unavailable")
    return bytes(out.tobytes())


def logs(agent: TelemetryAgent, args: dict[str, Any]) -> dict[str, Any]:
    """The kiosk's log: the journal under systemd, else the file ``kiosk run`` writes."""
    if under_systemd() and shutil.which("journalctl") is not None:
        try:
            return tail_journal(args, agent.settings.logs_max_bytes)
        except KioskError:
            pass  # a journal we may not read: the file, if there is one, still helps
    return tail_logs(_log_path(agent), args, agent.settings.logs_max_bytes)


def tail_journal(args: dict[str, Any], max_bytes: int,
                 run: Callable[..., Any] = subprocess.run) -> dict[str, Any]:
    """The last ``args["lines"]`` lines of the kiosk unit's journal."""
    lines = _lines(args)
    try:
        proc = run(["journalctl", "--no-pager", "-o", "short-iso", "-u", SERVICE_UNIT,
                    "-n", str(lines)], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise KioskError(f"journalctl failed: {exc}", code="logs-unavailable") from exc
    if proc.returncode != 0:
        raise KioskError(f"journalctl failed: {proc.stderr.strip()[:200]}",
                         code="logs-unavailable")
    text = proc.stdout[-max_bytes:]
    return {"source": "journal", "unit": SERVICE_UNIT, "lines": text.splitlines()[-lines:],
            "truncated": len(proc.stdout) > max_bytes}


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


def _lines(args: dict[str, Any]) -> int:
    lines = args.get("lines", 200)
    if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= MAX_LOG_LINES:
        raise InputError(f"'lines' must be an integer 1..{MAX_LOG_LINES}")
    return lines


def tail_logs(path: Path, args: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """The last ``args["lines"]`` lines (default 200) of ``path``, capped at ``max_bytes``.

    A missing file is the error ``logs-missing`` (the kiosk has not written a log
    here yet), never a crash.
    """
    lines = _lines(args)
    if not path.exists():
        raise KioskError(f"no log file at {path} (kiosk run writes it when not under "
                         "systemd; under systemd the journal is read)", code="logs-missing")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            fh.seek(max(0, size - max_bytes))
            data = fh.read(max_bytes)
    except OSError as exc:
        raise KioskError(f"cannot read {path}: {exc.strerror}", code="logs-unavailable") from exc
    text = data.decode("utf-8", "replace").splitlines()[-lines:]
    return {"source": "file", "file": str(path), "lines": text, "truncated": size > max_bytes}
