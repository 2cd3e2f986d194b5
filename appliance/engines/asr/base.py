"""Speech recognition: a stream per utterance, partial results while it grows."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from appliance.frames import WordTiming


@dataclass
class AsrResult:
    text: str
    final: bool
    confidence: float = 1.0
    language: str = "en"
    words: list[WordTiming] = field(default_factory=list)


class AsrStream(ABC):
    """One utterance. ``accept`` may return a partial result; ``finish`` the final one."""

    @abstractmethod
    def accept(self, pcm: np.ndarray) -> AsrResult | None:
        """Feed int16 16 kHz mono audio."""

    @abstractmethod
    def finish(self) -> AsrResult:
        """No more audio: return the final transcript."""

    def peek(self) -> AsrResult | None:
        """Decode what was heard so far without closing the stream (for speculation).

        Streaming engines, whose ``finish`` is already cheap, return ``None``.
        """
        return None


class AsrEngine(ABC):
    name: str = "asr"
    sample_rate: int = 16_000

    @abstractmethod
    def stream(self) -> AsrStream:
        """Open a stream for one utterance."""

    def transcribe(self, pcm: np.ndarray) -> AsrResult:
        """Recognize a whole utterance (int16 16 kHz mono)."""
        s = self.stream()
        s.accept(pcm)
        return s.finish()
