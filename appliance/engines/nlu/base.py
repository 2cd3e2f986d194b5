"""Understanding: intent, slots and emotion from a transcript (and the voice)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from appliance.frames import Emotion, Safety


@dataclass
class VoiceFeatures:
    """Prosody of the visitor's utterance, for emotion."""

    energy_dbfs: float = -30.0
    pitch_hz: float = 0.0
    words_per_s: float = 0.0


@dataclass
class NluResult:
    intent: str
    confidence: float
    slots: dict[str, str] = field(default_factory=dict)
    emotion: Emotion = field(default_factory=Emotion)
    language: str = "en"
    safety: Safety = field(default_factory=Safety)
    """Filled by the safety engine (never by the intent classifier)."""
    acts: list[str] = field(default_factory=list)
    """Dialogue acts in the utterance (``affirm``, ``deny``, ``repeat_slow``, ...)."""


class NluEngine(ABC):
    name: str = "nlu"

    @abstractmethod
    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        """Classify one utterance. Unknown requests are ``out_of_scope``."""
