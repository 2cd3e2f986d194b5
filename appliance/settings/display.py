"""``[display]``: the screen's backlight, night dimming and idle off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from appliance.settings.fields import TABLE, ClockTime, Seconds, Text, rng


@dataclass(frozen=True)
class DisplaySettings:
    __pydantic_config__ = TABLE

    backend: Literal["auto", "backlight", "dpms", "sim"] = "auto"
    """``auto`` (backlight if present, else sim), ``backlight``, ``dpms`` or ``sim``."""
    backlight_device: Text = ""
    """Name under /sys/class/backlight (empty = the first)."""
    xdisplay: Text = ":0"
    """X display for ``dpms``."""
    xrandr_output: Text = ""
    """Output for software brightness with ``dpms`` (empty = no brightness control)."""
    day_brightness_pct: Annotated[int, rng(0, 100)] = 100
    night_brightness_pct: Annotated[int, rng(0, 100)] = 30
    night_start: ClockTime = "22:00"
    night_end: ClockTime = "06:00"
    idle_dim_after_s: Seconds = 120.0
    """At night, dim after this long without a visitor."""
    off_after_s: Seconds = 0.0
    """At night, turn the screen off after this long idle (0 = never)."""
