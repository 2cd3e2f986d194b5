"""What a selftest check is: its context, its result, and how it reads the host.

The check modules (``checks_audio``, ``checks_config``, ``checks_system``) build on this
and know nothing of the selftest that runs them; :func:`provisioning.selftest.registry`
lists them in the order they run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.settings import Settings, kiosk_root

STATUSES = ("pass", "warn", "fail", "skip")
@dataclass
class CheckResult:
    """One check's outcome. ``sim`` is True when it ran on a sim twin."""

    name: str
    status: str
    detail: str
    sim: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


@dataclass(frozen=True)
class CheckContext:
    settings: Settings
    quick: bool = False
    force_sim: bool = False
    """Use the sim twins even where real devices exist."""
    strict: bool = False
    """A sim microphone, speaker or camera (or no site pack) is a failure."""


Check = Callable[[CheckContext], CheckResult]


def host_path(relative: str) -> Path:
    """A host path (``sys/...``, ``dev/...``, ``proc/...``) under ``KIOSK_ROOT``.

    With a scratch ``KIOSK_ROOT`` no devices are seen, so every check uses its
    sim twin; tests put fake sysfs files there.
    """
    return kiosk_root() / relative
