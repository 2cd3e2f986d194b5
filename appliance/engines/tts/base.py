"""Text to speech: sentence-by-sentence audio with phoneme timings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


@dataclass
class TtsChunk:
    """One sentence: int16 mono audio and (phoneme, start_s, end_s) from its own start."""

    pcm: np.ndarray
    sample_rate: int
    text: str
    phonemes: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass(frozen=True)
class Prosody:
    """How to say it: >1 ``length_scale`` is slower; volume is a gain."""

    length_scale: float = 1.0
    volume: float = 1.0
    noise_scale: float | None = None


class TtsEngine(ABC):
    name: str = "tts"
    sample_rate: int = 22_050

    @abstractmethod
    def synthesize(self, text: str, prosody: Prosody | None = None) -> Iterator[TtsChunk]:
        """Yield one chunk per sentence, the first as soon as it is ready."""

    def for_language(self, language: str) -> TtsEngine:
        """The voice to say text in ``language`` with (a one-voice engine: itself)."""
        return self
