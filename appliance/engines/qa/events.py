"""Events the QA raises for people: the staff pager (``help_human``) and emergencies.

The QA engine calls an :data:`EventHook` with a :class:`KioskEvent`; the lead connects the
hook to telemetry (an MQTT event for the staff pager). A failing hook is logged and
never stops the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from appliance.frames import Emotion


@dataclass
class KioskEvent:
    """Something staff must know about: ``kind`` is ``help_human`` or ``emergency``."""

    kind: str
    text: str
    priority: str = "normal"  # "normal" | "urgent"
    slots: dict[str, str] = field(default_factory=dict)
    emotion: Emotion = field(default_factory=Emotion)
    ts: float = field(default_factory=time.time)
    category: str = ""
    """The danger (``medical``, ``fire_smoke``, ...) of an ``emergency``."""
    reason: str = ""
    """Why: ``model`` (the safety model was sure), ``confirmed`` (the visitor said yes or
    answered unclearly), ``no-answer`` (silence after the danger question)."""

    def as_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind, "text": self.text, "priority": self.priority,
               "slots": dict(self.slots), "emotion": self.emotion.as_dict(), "ts": self.ts}
        if self.category:
            out["category"] = self.category
        if self.reason:
            out["reason"] = self.reason
        return out


EventHook = Callable[[KioskEvent], None]
EVENT_INTENTS = {"help_human": "normal", "emergency": "urgent"}
