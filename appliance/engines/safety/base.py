"""Safety: is someone in danger? An engine of its own, independent of the intent classifier.

The verdict is a :class:`~appliance.frames.Safety`: ``none``, ``confirm`` (the kiosk asks
one short question: "Is someone in danger right now?") or ``alert`` (staff are called at
once). A model decides ``alert``; keyword cues are a recall booster that may raise
``confirm`` and never ``alert`` on their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from appliance.frames import Safety
from appliance.sitepack.model import SAFETY_CATEGORIES

CATEGORIES = SAFETY_CATEGORIES
"""What a danger can be; ``none`` is the safe class. The site pack's vocabulary (its
training lines name these), so the pack checker knows them without the engines."""
NONE = "none"


class SafetyEngine(ABC):
    """Assesses one utterance for danger."""

    name: str = "safety"

    @abstractmethod
    def assess(self, text: str, embedding: np.ndarray | None = None) -> Safety:
        """The verdict on ``text``; ``embedding`` is the sentence embedding when the
        caller already has it (the NLU computed it), so no second encode is paid."""


def stronger(a: Safety, b: Safety) -> Safety:
    """The more urgent of two verdicts (alert > confirm > none, then the higher score)."""
    rank = {"none": 0, "confirm": 1, "alert": 2}
    if rank[a.action] != rank[b.action]:
        return a if rank[a.action] > rank[b.action] else b
    return a if a.score >= b.score else b
