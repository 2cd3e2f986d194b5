"""Board sensors: Jetson sysfs when on a Jetson, psutil elsewhere."""

from __future__ import annotations

from pathlib import Path

from hw.platform.base import PlatformSensors, PlatformSnapshot, PowerRail
from hw.platform.generic import GenericSensors
from hw.platform.jetson import JetsonSensors, is_jetson

__all__ = ["GenericSensors", "JetsonSensors", "PlatformSensors", "PlatformSnapshot",
           "PowerRail", "detect", "is_jetson"]


def detect(root: str | Path = "/", kind: str = "auto") -> PlatformSensors:
    """The sensors for this board: ``auto``, ``jetson`` or ``generic``."""
    root = Path(root)
    if kind == "jetson" or (kind == "auto" and is_jetson(root)):
        return JetsonSensors(root)
    return GenericSensors()
