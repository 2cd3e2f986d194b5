"""Platform sensors: one snapshot of temperatures, power, loads and clocks."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hw.health import DeviceHealth

logger = logging.getLogger(__name__)


@dataclass
class PowerRail:
    """One rail of a power monitor (INA3221 on Jetson)."""

    voltage_v: float
    current_a: float

    @property
    def power_w(self) -> float:
        return self.voltage_v * self.current_a


@dataclass
class PlatformSnapshot:
    """What the board reports right now; ``None`` where it has no such sensor."""

    model: str = ""
    temperatures_c: dict[str, float] = field(default_factory=dict)
    power_rails: dict[str, PowerRail] = field(default_factory=dict)
    cpu_load_pct: float | None = None
    cpu_freq_mhz: list[float] = field(default_factory=list)
    memory_used_mb: float | None = None
    memory_total_mb: float | None = None
    gpu_load_pct: float | None = None
    gpu_freq_mhz: float | None = None
    emc_freq_mhz: float | None = None
    emc_load_pct: float | None = None
    fan_pwm_pct: float | None = None
    fan_rpm: float | None = None
    power_mode: str | None = None

    @property
    def total_power_w(self) -> float | None:
        """Board input power: the ``VDD_IN``/``VIN`` rail, else the sum of rails."""
        for name, rail in self.power_rails.items():
            if name.upper() in ("VDD_IN", "VIN_SYS_5V0", "VIN"):
                return rail.power_w
        if not self.power_rails:
            return None
        return sum(r.power_w for r in self.power_rails.values())

    @property
    def hottest_c(self) -> float | None:
        return max(self.temperatures_c.values()) if self.temperatures_c else None

    def as_dict(self) -> dict[str, Any]:
        """Plain, rounded dict for telemetry and ``--json``."""
        data = asdict(self)
        data["power_rails"] = {name: {"voltage_v": round(r.voltage_v, 3),
                                      "current_a": round(r.current_a, 3),
                                      "power_w": round(r.power_w, 3)}
                               for name, r in self.power_rails.items()}
        data["total_power_w"] = None if self.total_power_w is None else round(self.total_power_w, 3)
        data["hottest_c"] = self.hottest_c
        return data


class PlatformSensors(ABC):
    """Reads a :class:`PlatformSnapshot`; never raises for a missing sensor."""

    name = "platform"

    def __init__(self) -> None:
        self.health = DeviceHealth("platform")

    @abstractmethod
    def read(self) -> PlatformSnapshot:
        """One snapshot; missing or unreadable sensors are left ``None``/empty."""


def read_text(path: Path) -> str | None:
    """A sysfs attribute's text, or None if it is missing or unreadable."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip().strip("\x00")
    except OSError:
        return None


def read_number(path: Path) -> float | None:
    """A sysfs attribute as a number, or None."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        logger.debug("unparsable %s: %r", path, text)
        return None
