"""A scripted safety engine for tests of other parts: text -> verdict, else ``none``."""

from __future__ import annotations

import numpy as np

from appliance.engines.safety.base import SafetyEngine
from appliance.frames import Safety


class FakeSafety(SafetyEngine):
    name = "fake"

    def __init__(self, script: dict[str, Safety] | None = None) -> None:
        self.script = dict(script or {})
        self.seen: list[str] = []

    def assess(self, text: str, embedding: np.ndarray | None = None) -> Safety:
        self.seen.append(text)
        return self.script.get(text.strip().lower(), Safety())
