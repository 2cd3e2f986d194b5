"""Staged rollout as a pure state machine fed plain times and outcomes.

Devices are started at ``rate_per_min`` (at most ``max_in_flight`` unfinished at
once, 0 = no limit); once ``min_sample`` have finished, the rollout aborts as
soon as the failure percentage passes ``abort_pct`` (devices already started
finish; no new one starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Rollout:
    """Which device to update next, and whether to stop."""

    devices: list[str]
    rate_per_min: float = 10.0
    abort_pct: float = 20.0
    min_sample: int = 3
    max_in_flight: int = 0
    started: list[str] = field(default_factory=list)
    ok: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    aborted: bool = False
    _next_at: float | None = None

    def due(self, now: float) -> list[str]:
        """Devices to start at ``now`` (respecting the rate); marks them started."""
        if self.aborted:
            return []
        interval = 60.0 / max(self.rate_per_min, 1e-9)
        if self._next_at is None:
            self._next_at = now
        out: list[str] = []
        while now >= self._next_at and len(self.started) < len(self.devices):
            if self.max_in_flight and self.in_flight >= self.max_in_flight:
                break
            device = self.devices[len(self.started)]
            self.started.append(device)
            out.append(device)
            self._next_at += interval
            if self.max_in_flight:  # a freed slot starts one device, not a catch-up burst
                self._next_at = max(self._next_at, now + interval)
        return out

    @property
    def in_flight(self) -> int:
        """Devices started and not finished."""
        return len(self.started) - len(self.ok) - len(self.failed)

    def record(self, device: str, success: bool) -> None:
        (self.ok if success else self.failed).append(device)
        finished = len(self.ok) + len(self.failed)
        if finished >= self.min_sample and self.failure_pct > self.abort_pct:
            self.aborted = True

    @property
    def failure_pct(self) -> float:
        finished = len(self.ok) + len(self.failed)
        return 100.0 * len(self.failed) / finished if finished else 0.0

    @property
    def done(self) -> bool:
        finished = len(self.ok) + len(self.failed)
        if self.aborted:
            return finished >= len(self.started)
        return finished >= len(self.devices)

    def summary(self) -> dict[str, object]:
        return {"devices": len(self.devices), "started": len(self.started), "ok": self.ok,
                "failed": self.failed, "failure_pct": round(self.failure_pct, 1),
                "aborted": self.aborted,
                "not_started": self.devices[len(self.started):]}
