"""``status``, ``diagnostics`` and ``factory-reset``.

Diagnostics never contain secrets: the private key is never read, and config
values whose key looks secret (password, token, secret, key) are redacted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
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


def diagnostics(out: Path | None = None) -> dict[str, Any]:
    """Write the diagnostics tarball; returns its path and what it holds."""
    device = identity.current_device_id() or "unprovisioned"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = out or diagnostics_dir() / f"kiosk-diag-{device}-{stamp}.tar.gz"
    if target.is_dir():
        target = target / f"kiosk-diag-{device}-{stamp}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    loaded, warnings = app_settings.load(config_path())
    parts: dict[str, str | bytes] = {
        "status.json": json.dumps(status(), indent=2, default=str),
        "versions.json": json.dumps(versions(), indent=2),
        "config-effective.json": json.dumps(redact(dataclasses.asdict(loaded)), indent=2),
        "config-warnings.txt": "\n".join(warnings) + "\n",
        "journal.txt": journal_text(),
    }
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
    return {"path": str(target), "files": sorted(parts), "bytes": target.stat().st_size}


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
