"""Where provisioning keeps things, all under ``appliance.settings.state_dir()``.

``<state>/identity/``  device_id, device.key (0600), device.csr, device.crt, ca.crt, broker.json
``<state>/site/``      the installed site pack
``<state>/selftest/``  the last self-test reports
``<state>/diagnostics/`` diagnostic tarballs
"""

from __future__ import annotations

import contextlib
import os
import pwd
import tempfile
from pathlib import Path

from appliance.settings import config_path, kiosk_root, run_dir, state_dir

__all__ = ["config_path", "kiosk_root", "run_dir", "state_dir"]

SERVICE_USER = "kiosk"


def identity_dir() -> Path:
    return state_dir() / "identity"


def site_dir() -> Path:
    return state_dir() / "site"


def selftest_dir() -> Path:
    return state_dir() / "selftest"


def diagnostics_dir() -> Path:
    return state_dir() / "diagnostics"


def models_dir() -> Path:
    return state_dir() / "models"


def default_config_path() -> Path:
    """The packaged default ``kiosk.toml`` (restored by factory-reset)."""
    return kiosk_root() / "usr/share/kiosk/kiosk.toml"


def atomic_write(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    payload = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (best effort)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def give_to_service_user(*paths: Path) -> None:
    """When run as root on the device, hand files to the ``kiosk`` user.

    The orchestrator runs as ``kiosk`` and must read its key and certificate.
    A no-op for a normal user or where the account does not exist (a laptop).
    """
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return
    for path in paths:
        with contextlib.suppress(OSError):
            os.chown(path, account.pw_uid, account.pw_gid)
