"""``[pipeline]``: the stage inboxes and when visitor speech interrupts the avatar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from appliance.settings.fields import TABLE, Millis, rng


@dataclass(frozen=True)
class PipelineSettings:
    __pydantic_config__ = TABLE

    queue_size: Annotated[int, rng(1, 10_000)] = 64
    """Capacity of each stage's data inbox (frames)."""
    interrupt_min_speech_ms: Millis = 200
    """Visitor speech needed while the avatar talks before it is interrupted."""
