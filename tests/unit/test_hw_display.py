"""Display schedule as plain numbers; backlight sysfs on a temporary tree."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from hw.display import (
    BacklightDisplay,
    DimSchedule,
    DisplayController,
    DisplayError,
    ScreenState,
    SimDisplay,
)
from hw.health import HealthState

SCHEDULE = DimSchedule(day_brightness_pct=100, night_brightness_pct=30, night_start="22:00",
                       night_end="06:00", idle_dim_after_s=120, off_after_s=900)


@pytest.mark.parametrize(("clock", "idle", "want"), [
    (time(14, 0), 5000, ScreenState(True, 100)),   # day: always bright
    (time(23, 0), 10, ScreenState(True, 100)),     # night, visitor present
    (time(23, 0), 300, ScreenState(True, 30)),     # night, idle: dim
    (time(2, 0), 1000, ScreenState(False, 0)),     # night, long idle: off
    (time(6, 0), 1000, ScreenState(True, 100)),    # morning
])
def test_schedule(clock: time, idle: float, want: ScreenState) -> None:
    assert SCHEDULE.state(clock, idle) == want


def test_controller_writes_only_changes_and_survives_a_dead_display() -> None:
    display = SimDisplay()
    ctl = DisplayController(display, SCHEDULE)
    ctl.tick(time(23, 0), 300)
    ctl.tick(time(23, 0), 301)
    ctl.tick(time(23, 30), 1000)
    ctl.tick(time(23, 31), 0)
    assert display.changes == [("power", 1), ("brightness", 30), ("power", 0), ("power", 1),
                               ("brightness", 100)]
    display.fail = True
    ctl.tick(time(23, 45), 1000)  # no exception
    assert display.health.state == HealthState.FAILED


def test_backlight_sysfs(tmp_path: Path) -> None:
    bl = tmp_path / "sys/class/backlight/backlight-dsi"
    bl.mkdir(parents=True)
    (bl / "max_brightness").write_text("255\n")
    (bl / "brightness").write_text("255\n")
    (bl / "bl_power").write_text("0\n")
    display = BacklightDisplay(root=tmp_path)
    display.set_brightness(30)
    display.set_power(False)
    assert (bl / "brightness").read_text().strip() == "76"
    assert (bl / "bl_power").read_text().strip() == "4"
    with pytest.raises(DisplayError):
        BacklightDisplay("missing", root=tmp_path)
