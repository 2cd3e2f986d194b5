"""The screen: power (backlight sysfs or DPMS), brightness, and the night dim schedule.

:class:`DimSchedule` is a pure rule fed plain numbers (clock time, seconds
since the last visitor); :class:`DisplayController` applies it to a
:class:`Display` and writes only when the wanted state changes. A display
that cannot be driven reports ``display-control-failed`` and the kiosk keeps
rendering.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import time as dtime
from pathlib import Path

from hw.health import DeviceHealth

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenState:
    """What the screen should show: on/off and a brightness in percent."""

    on: bool
    brightness_pct: int


def parse_clock(text: str) -> dtime:
    """``"22:30"`` -> ``time(22, 30)``; raises ValueError on anything else."""
    hours, _, minutes = text.partition(":")
    return dtime(int(hours), int(minutes or 0))


@dataclass(frozen=True)
class DimSchedule:
    """Full brightness by day or with a visitor; dim (then off) when idle at night."""

    day_brightness_pct: int = 100
    night_brightness_pct: int = 30
    night_start: str = "22:00"
    night_end: str = "06:00"
    idle_dim_after_s: float = 120.0
    off_after_s: float = 0.0
    """Idle seconds at night after which the screen turns off (0 = never)."""

    def is_night(self, clock: dtime) -> bool:
        start, end = parse_clock(self.night_start), parse_clock(self.night_end)
        if start <= end:
            return start <= clock < end
        return clock >= start or clock < end

    def state(self, clock: dtime, idle_s: float) -> ScreenState:
        """The wanted screen state at wall-clock ``clock`` after ``idle_s`` without visitors."""
        if not self.is_night(clock) or idle_s < self.idle_dim_after_s:
            return ScreenState(True, self.day_brightness_pct)
        if self.off_after_s > 0 and idle_s >= self.off_after_s:
            return ScreenState(False, 0)
        return ScreenState(True, self.night_brightness_pct)


class DisplayError(RuntimeError):
    code = "display-control-failed"


class Display(ABC):
    """A screen whose power and brightness can be set."""

    name = "display"

    def __init__(self) -> None:
        self.health = DeviceHealth("display")

    @abstractmethod
    def set_power(self, on: bool) -> None:
        """Turn the panel on or off; raises :class:`DisplayError`."""

    @abstractmethod
    def set_brightness(self, pct: int) -> None:
        """Set brightness 0..100 %; raises :class:`DisplayError`."""


class BacklightDisplay(Display):
    """``/sys/class/backlight/<device>``: ``brightness``, ``max_brightness``, ``bl_power``."""

    def __init__(self, device: str = "", *, root: str | Path = "/") -> None:
        super().__init__()
        base = Path(root) / "sys/class/backlight"
        candidates = sorted(base.glob(device or "*"))
        if not candidates:
            self.health.fail(DisplayError.code, f"no backlight {device or '*'} under {base}")
            raise DisplayError(f"no backlight device under {base}")
        self.path = candidates[0]
        self.name = f"backlight:{self.path.name}"
        self.max = int((self.path / "max_brightness").read_text().strip() or 1)
        self.health.ok()

    def _write(self, attribute: str, value: int) -> None:
        try:
            (self.path / attribute).write_text(f"{value}\n")
        except OSError as exc:
            self.health.fail(DisplayError.code, f"{self.path / attribute}: {exc}")
            raise DisplayError(f"cannot write {self.path / attribute}: {exc}") from exc
        self.health.ok()

    def set_power(self, on: bool) -> None:
        self._write("bl_power", 0 if on else 4)  # FB_BLANK_UNBLANK / FB_BLANK_POWERDOWN

    def set_brightness(self, pct: int) -> None:
        self._write("brightness", round(max(0, min(100, pct)) / 100 * self.max))


class DpmsDisplay(Display):
    """An X11 display: DPMS power through ``xset``, brightness through ``xrandr``."""

    def __init__(self, xdisplay: str = ":0", output: str = "") -> None:
        super().__init__()
        self.xdisplay = xdisplay
        self.output = output
        self.name = f"dpms:{xdisplay}"
        self.health.ok()

    def _run(self, *args: str) -> None:
        if shutil.which(args[0]) is None:
            self.health.fail(DisplayError.code, f"{args[0]} is not installed")
            raise DisplayError(f"{args[0]} is not installed")
        proc = subprocess.run([*args], capture_output=True, text=True, timeout=5,
                              env={"DISPLAY": self.xdisplay, "PATH": "/usr/bin:/bin"})
        if proc.returncode != 0:
            self.health.fail(DisplayError.code, proc.stderr.strip()[:200])
            raise DisplayError(f"{' '.join(args)}: {proc.stderr.strip()[:200]}")
        self.health.ok()

    def set_power(self, on: bool) -> None:
        self._run("xset", "dpms", "force", "on" if on else "off")

    def set_brightness(self, pct: int) -> None:
        if not self.output:
            return  # software brightness needs the output name
        self._run("xrandr", "--output", self.output, "--brightness",
                  f"{max(0.05, min(100, pct) / 100):.2f}")


@dataclass
class SimDisplay(Display):
    """Remembers every change; for tests and machines without a screen."""

    on: bool = True
    brightness_pct: int = 100
    changes: list[tuple[str, int]] = field(default_factory=list)
    fail: bool = False

    def __post_init__(self) -> None:
        super().__init__()
        self.name = "sim-display"
        self.health.ok()

    def set_power(self, on: bool) -> None:
        if self.fail:
            self.health.fail(DisplayError.code, "sim display unplugged")
            raise DisplayError("sim display unplugged")
        self.on = on
        self.changes.append(("power", int(on)))

    def set_brightness(self, pct: int) -> None:
        if self.fail:
            raise DisplayError("sim display unplugged")
        self.brightness_pct = pct
        self.changes.append(("brightness", pct))


class DisplayController:
    """Applies a :class:`DimSchedule` to a display; call :meth:`tick` every few seconds."""

    def __init__(self, display: Display, schedule: DimSchedule) -> None:
        self.display = display
        self.schedule = schedule
        self.current: ScreenState | None = None

    def tick(self, clock: dtime, idle_s: float) -> ScreenState:
        """Bring the screen to the scheduled state; errors become health, not exceptions."""
        wanted = self.schedule.state(clock, idle_s)
        if wanted == self.current:
            return wanted
        try:
            if wanted.on:
                if self.current is None or not self.current.on:
                    self.display.set_power(True)
                self.display.set_brightness(wanted.brightness_pct)
            else:
                self.display.set_power(False)
            self.current = wanted
        except DisplayError as exc:
            logger.warning("display %s: %s", self.display.name, exc)
        return wanted
