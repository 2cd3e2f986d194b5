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
from pathlib import Path

from appliance.settings import config_path, kiosk_root, run_dir, state_dir
from appliance.system.fileio import atomic_write, fsync_dir

__all__ = ["atomic_write", "config_path", "fsync_dir", "kiosk_root", "run_dir", "state_dir"]

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
