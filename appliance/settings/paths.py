"""Where the kiosk's files live. ``KIOSK_ROOT`` re-roots every one (development, tests).

The settings layers each have one file, named here so that the writer (the
technician's CLI, the telemetry agent, the site pack installer) and the reader
(:func:`appliance.settings.load_config`) cannot drift apart.
"""

from __future__ import annotations

import os
from pathlib import Path


def kiosk_root() -> Path:
    """The filesystem root all kiosk paths hang from (``KIOSK_ROOT`` or ``/``)."""
    return Path(os.environ.get("KIOSK_ROOT", "/"))


def config_path() -> Path:
    """The technician's layer: ``/etc/kiosk/kiosk.toml``."""
    return kiosk_root() / "etc/kiosk/kiosk.toml"


def state_dir() -> Path:
    """Identity, certificates, spool, model store, engine cache: ``/var/lib/kiosk``."""
    return kiosk_root() / "var/lib/kiosk"


def run_dir() -> Path:
    """Runtime files that vanish at reboot: ``/run/kiosk``."""
    return kiosk_root() / "run/kiosk"


def last_good_path() -> Path:
    """A copy of the last kiosk.toml that validated without a problem."""
    return state_dir() / "config/kiosk.toml.last-good"


def fleet_config_path() -> Path:
    """The fleet's layer: the config the telemetry agent last applied (read-only here).

    JSON ``{"version": N, "config": {...kiosk.toml tables...}}``, written atomically
    by :class:`appliance.telemetry.config.ConfigManager` (the agent's data dir is
    ``<state>/telemetry``).
    """
    return state_dir() / "telemetry/config.json"


def site_settings_path() -> Path:
    """The site's layer: ``settings.toml`` of the installed site pack (optional).

    kiosk.toml tables a site ships with its pack (its language, voice speed, night
    hours); the technician's kiosk.toml and the fleet override them.
    """
    return state_dir() / "site/settings.toml"


def default_log_path() -> Path:
    """The file ``kiosk run`` writes its log to when no ``telemetry.log_file`` is set."""
    return state_dir() / "log/kiosk.log"


def health_snapshot_path() -> Path:
    """The running kiosk's last health report (engines, latency, degraded), for diagnostics."""
    return state_dir() / "health.json"


def outbox_path() -> Path:
    """The telemetry agent's on-disk outbox (SQLite), read-only for diagnostics."""
    return state_dir() / "telemetry/outbox.db"
