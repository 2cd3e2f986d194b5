"""Safety without a model: every cue asks (``confirm``), nothing alerts on its own.

The fallback when the sentence encoder cannot load. A visitor in danger is still
asked "Is someone in danger right now?", and a yes (or no answer) calls staff.
"""

from __future__ import annotations

import numpy as np

from appliance.engines.safety.base import SafetyEngine
from appliance.engines.safety.cues import cue_verdict
from appliance.frames import Safety


class KeywordSafety(SafetyEngine):
    """Cue words only; recall comes from asking, never from alarming."""

    name = "keyword"

    def assess(self, text: str, embedding: np.ndarray | None = None) -> Safety:
        return cue_verdict(text)
