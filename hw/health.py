"""Device health: what every device reports instead of crashing.

A device that cannot be opened, or is lost while running (an unplugged
microphone, a camera that fails to open), sets a :class:`DeviceHealth` with a
stable ``code`` and keeps the kiosk alive; telemetry reads these states.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum


class HealthState(str, Enum):
    """How well a device works right now."""

    OK = "ok"
    DEGRADED = "degraded"
    """Works, but with less than it should (no echo canceller, fallback device...)."""
    FAILED = "failed"
    """Does not work; the kiosk carries on without it."""
    UNKNOWN = "unknown"
    """Not opened yet."""


@dataclass
class DeviceHealth:
    """The state of one device, with a stable error code when it is not OK."""

    device: str
    state: HealthState = HealthState.UNKNOWN
    code: str = ""
    message: str = ""
    since: float = field(default_factory=time.monotonic)

    def set(self, state: HealthState, code: str = "", message: str = "") -> None:
        """Change state; ``since`` moves only when the state or code changes."""
        if state != self.state or code != self.code:
            self.since = time.monotonic()
        self.state, self.code, self.message = state, code, message

    def ok(self) -> None:
        self.set(HealthState.OK)

    def fail(self, code: str, message: str) -> None:
        self.set(HealthState.FAILED, code, message)

    def degrade(self, code: str, message: str) -> None:
        self.set(HealthState.DEGRADED, code, message)

    @property
    def healthy(self) -> bool:
        return self.state == HealthState.OK

    def as_dict(self) -> dict[str, str | float]:
        """Plain dict for telemetry (``since`` in monotonic seconds)."""
        return {"device": self.device, "state": self.state.value, "code": self.code,
                "message": self.message, "since": round(self.since, 3)}
