"""``[platform]``: which board the kiosk runs on (Jetson or generic) and where its
sysfs is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from appliance.settings.fields import TABLE, PathText


@dataclass(frozen=True)
class PlatformSettings:
    __pydantic_config__ = TABLE

    kind: Literal["auto", "jetson", "generic"] = "auto"
    """``auto`` (Jetson if detected), ``jetson`` or ``generic`` (psutil)."""
    sysfs_root: PathText = "/"
    """Where sysfs/procfs are read from (a recorded tree in tests)."""
