"""``[behavior]``: the behaviour tree of ``kiosk run`` (greeting, attract lines, staff
calls) and how often it looks and decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from appliance.settings.fields import TABLE, Flag, above


@dataclass(frozen=True)
class BehaviorSettings:
    __pydantic_config__ = TABLE

    enabled: Flag = True
    """Run the behaviour tree in ``kiosk run``: greeting, farewell, gaze, staff calls."""
    tick_hz: Annotated[float, above(0, 100)] = 4.0
    """How often the behaviour tree decides."""
    vision_fps: Annotated[float, above(0, 120)] = 8.0
    """Camera frames analysed per second (the others are dropped unseen)."""
    greet: Flag = True
    """Say hello once to each visitor who approaches and faces the screen (needs the camera)."""
    attract_lines: Flag = False
    """Call out an inviting line every 45 s while nobody is there (needs the camera)."""
    camera_retry_s: Annotated[float, above(0, 3_600)] = 30.0
    """Seconds between attempts to reopen a camera that failed or was lost."""
    display_tick_s: Annotated[float, above(0, 3_600)] = 10.0
    """How often the night dimming schedule is applied to the screen."""
