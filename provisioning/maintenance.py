"""``status``, ``diagnostics`` and ``factory-reset``.

Diagnostics never contain secrets: the private key is never read, and config
values whose key looks secret (password, token, secret, key) are redacted.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from appliance import settings as app_settings
from provisioning import __version__, enroll, identity, selftest, sitepack
from provisioning.errors import ProvisionError
from provisioning.paths import (
    atomic_write,
    config_path,
    default_config_path,
    diagnostics_dir,
    identity_dir,
    kiosk_root,
    site_dir,
    state_dir,
)
from provisioning.tomlcompat import tomllib

SECRET_KEY = re.compile(r"pass(word)?|secret|token|private|credential|(^|_)key$", re.IGNORECASE)
UNITS = ("kiosk.service", "kiosk-display.service", "kiosk-firstboot.service")
PACKAGES = ("kiosk-appliance", "onnxruntime", "faster-whisper", "piper-tts", "vosk", "numpy",
            "cryptography", "typer", "rich", "systemd-python", "tensorrt", "pycuda")
RESET_KEEP = ("models",)
"""State kept by factory-reset: nothing site-specific (the model store is generic)."""


def redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if key and SECRET_KEY.search(key) and value not in ("", None):
        return "<redacted>"
    return value


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "kiosk-provision": __version__,
             "platform": platform.platform()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def systemd_running() -> bool:
    return kiosk_root() == Path("/") and Path("/run/systemd/system").is_dir()


def unit_states() -> dict[str, str]:
    if not systemd_running() or shutil.which("systemctl") is None:
        return {unit: "unknown (no systemd)" for unit in UNITS}
    states = {}
    for unit in UNITS:
        proc = subprocess.run(["systemctl", "is-active", unit], capture_output=True, text=True,
                              timeout=10, check=False)
        states[unit] = proc.stdout.strip() or "unknown"
    return states


def _site() -> dict[str, Any]:
    """The site pack for status/diagnostics: a broken pack is reported, not fatal."""
    try:
        return sitepack.summary() if site_dir().exists() else {"installed": False}
    except ProvisionError as err:
        return {"installed": True, "problem": str(err)}


def config_summary() -> dict[str, Any]:
    """The settings files as they really are: present or not, problems by key, origins."""
    result = app_settings.load_config(config_path())
    path = config_path()
    file_problems = [p for p in result.problems if p.source == str(path)]
    fleet = app_settings.fleet_config_path()
    site = app_settings.site_settings_path()
    return {
        "path": str(path), "exists": path.exists(),
        "valid": path.exists() and not file_problems,
        "problems": [p.as_dict() for p in result.problems],
        "notes": result.notes,
        "warnings": result.warnings,
        "last_good": {"path": str(app_settings.last_good_path()),
                      "exists": app_settings.last_good_path().exists()},
        "fleet": {"path": str(fleet), "exists": fleet.exists(),
                  "version": result.fleet_version},
        "site_settings": {"path": str(site), "exists": site.exists()},
        "site": result.settings.site,
        "overridden": {k: v for k, v in result.origins.items() if v != "default"},
    }


def files_summary() -> dict[str, dict[str, Any]]:
    """Each file a kiosk depends on: does it exist (never its content)."""
    names = {
        "device_key": identity.key_path(),
        "device_certificate": identity_dir() / "device.crt",
        "ca_certificate": identity_dir() / "ca.crt",
        "broker": identity_dir() / "broker.json",
        "config": config_path(),
        "config_last_good": app_settings.last_good_path(),
        "fleet_config": app_settings.fleet_config_path(),
        "site_pack": site_dir() / "manifest.yaml",
    }
    return {name: {"path": str(path), "exists": path.exists()} for name, path in names.items()}


def status() -> dict[str, Any]:
    """Everything a technician checks first, in one dict."""
    last = selftest.last_report()
    return {
        "device_id": identity.current_device_id(),
        "identity": identity.key_path().exists(),
        "enrolment": enroll.enrolment_status(),
        "site": _site(),
        "config": config_summary(),
        "files": files_summary(),
        "services": unit_states(),
        "last_selftest": {"at": last["at"], "overall": last["overall"],
                          "strict": last.get("strict")} if last else None,
        "versions": versions(),
        "state_dir": str(state_dir()),
    }


def _add(tar: tarfile.TarFile, name: str, content: str | bytes) -> None:
    data = content.encode() if isinstance(content, str) else content
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now().timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def journal_text(since: str = "-2d") -> str:
    if not systemd_running() or shutil.which("journalctl") is None:
        return "journal not available (not running under systemd)\n"
    args = ["journalctl", "--no-pager", "-o", "short-iso", "--since", since]
    for unit in UNITS:
        args += ["-u", unit]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    return proc.stdout[-20_000_000:] or proc.stderr


SECRET_TEXT = re.compile(
    r"(?i)\b(pass(?:word|wd)?|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)(\S+)")
PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",
                         re.DOTALL)
LOG_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})")


def scrub(text: str) -> str:
    """Log text without secrets: ``password=...``, tokens, keys and PEM private keys."""
    return SECRET_TEXT.sub(r"\1\2<redacted>", PEM_PRIVATE.sub("<private key redacted>", text))


def log_file_text(hours: float, now: dt.datetime | None = None) -> str:
    """The last ``hours`` of the file ``kiosk run`` writes (and its rotated copies)."""
    loaded = app_settings.load_config(config_path()).settings
    path = (Path(loaded.telemetry.log_file) if loaded.telemetry.log_file
            else app_settings.default_log_path())
    files = [p for p in (path.with_name(path.name + ".1"), path) if p.exists()]
    if not files:
        return f"no log file at {path} (under systemd the log is in journal.txt)\n"
    cutoff = (now or dt.datetime.now()) - dt.timedelta(hours=hours)
    kept: list[str] = []
    keep = False
    for file in files:
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            stamp = LOG_TIME.match(line)
            if stamp:  # a line without a time continues the record above (a traceback)
                try:
                    keep = dt.datetime.fromisoformat(stamp.group(1).replace("T", " ")) >= cutoff
                except ValueError:
                    keep = True
            if keep:
                kept.append(line)
    return scrub("\n".join(kept[-200_000:]) + "\n")


def outbox_state() -> dict[str, Any]:
    """The fleet link's spool, read-only: what waits to be sent and since when."""
    path = app_settings.outbox_path()
    if not path.exists():
        return {"path": str(path), "exists": False}
    state: dict[str, Any] = {"path": str(path), "exists": True}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            count, oldest, critical = db.execute(
                "SELECT COUNT(*), MIN(created), SUM(critical) FROM outbox").fetchone()
            state.update(pending=count, critical_pending=critical or 0,
                         oldest_pending_age_s=round(time.time() - oldest, 1) if oldest else None)
            kinds = db.execute("SELECT topic, COUNT(*) FROM outbox GROUP BY topic").fetchall()
            state["pending_by_topic"] = {topic: n for topic, n in kinds}
            try:
                state["dead_letters"] = db.execute("SELECT COUNT(*) FROM dead").fetchone()[0]
            except sqlite3.Error:
                state["dead_letters"] = None
        finally:
            db.close()
    except sqlite3.Error as exc:
        state["error"] = str(exc)
    return state


def fleet_state() -> dict[str, Any]:
    """Enrolment (broker address, certificate validity), the spool and the fleet's config."""
    fleet = app_settings.fleet_config_path()
    version = None
    if fleet.exists():
        try:
            version = json.loads(fleet.read_text()).get("version")
        except (OSError, ValueError, AttributeError):
            version = "unreadable"
    return {"enrolment": enroll.enrolment_status(), "outbox": outbox_state(),
            "fleet_config": {"path": str(fleet), "exists": fleet.exists(), "version": version}}


def effective_config() -> dict[str, Any]:
    """The effective settings with each value's origin and every problem (redacted)."""
    from provisioning import configedit

    value, origins, result = configedit.effective("")
    return {"toml": configedit.render_toml("", redact(value), origins),
            "values": redact(value), "origins": origins,
            "problems": [p.as_dict() for p in result.problems], "notes": result.notes}


def diagnostics(out: Path | None = None, hours: float = 6.0) -> dict[str, Any]:
    """Write the diagnostics tarball; returns its path and what it holds.

    The last ``hours`` of the kiosk's log (journal and file), the effective config
    with origins, the engines' and devices' last health (states, latency of recent
    turns, degraded reasons), the fleet link and its spool, and the last self-test.
    Secrets never go in: no private key, secret-looking config values and log
    text redacted.
    """
    device = identity.current_device_id() or "unprovisioned"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = out or diagnostics_dir() / f"kiosk-diag-{device}-{stamp}.tar.gz"
    if target.is_dir():
        target = target / f"kiosk-diag-{device}-{stamp}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    config = effective_config()
    parts: dict[str, str | bytes] = {
        "status.json": json.dumps(status(), indent=2, default=str),
        "versions.json": json.dumps(versions(), indent=2),
        "config-effective.toml": config["toml"],
        "config-effective.json": json.dumps(config, indent=2, default=str),
        "fleet.json": json.dumps(fleet_state(), indent=2, default=str),
        "journal.txt": scrub(journal_text(f"-{int(hours * 60)}min")),
        "kiosk.log": log_file_text(hours),
    }
    health = app_settings.health_snapshot_path()
    if health.exists():
        parts["health.json"] = scrub(health.read_text(encoding="utf-8", errors="replace"))
    if config_path().exists():
        try:
            raw = tomllib.loads(config_path().read_text())
            parts["kiosk.toml.json"] = json.dumps(redact(raw), indent=2)
        except (OSError, ValueError) as exc:
            parts["kiosk.toml.json"] = json.dumps({"unreadable": str(exc)})
    for name in ("device.csr", "device.crt", "ca.crt", "broker.json", "device_id"):
        path = identity_dir() / name  # public material only: never device.key
        if path.exists():
            parts[f"identity/{name}"] = path.read_bytes()
    last = selftest.last_report()
    if last:
        parts["selftest-last.json"] = json.dumps(last, indent=2)
    tmp = target.with_name(f".{target.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, content in parts.items():
            _add(tar, f"kiosk-diag-{device}-{stamp}/{name}", content)
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return {"path": str(target), "files": sorted(parts), "bytes": target.stat().st_size,
            "hours": hours}


def factory_reset() -> dict[str, Any]:
    """Forget the identity, enrolment, site, config and logs; keep the model store."""
    removed: list[str] = []
    root = state_dir()
    if root.exists():
        for entry in sorted(root.iterdir()):
            if entry.name in RESET_KEEP:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(str(entry))
    config = config_path()
    for path in (config, config.with_name(config.name + ".prev")):
        if path.exists():
            path.unlink()
            removed.append(str(path))
    restored = None
    if default_config_path().exists():
        atomic_write(config, default_config_path().read_bytes())
        restored = str(default_config_path())
    return {"removed": removed, "kept": [str(root / k) for k in RESET_KEEP if (root / k).exists()],
            "default_config_restored_from": restored, "python": sys.version.split()[0]}
