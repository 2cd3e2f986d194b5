"""Lip-sync: mouth shapes timed on the reply's audio clock."""

from __future__ import annotations

from abc import ABC, abstractmethod

from appliance.engines.tts.base import TtsChunk
from appliance.frames import VisemeCue


class LipSyncEngine(ABC):
    name: str = "lipsync"

    @abstractmethod
    def visemes(self, chunk: TtsChunk) -> list[VisemeCue]:
        """Cues covering ``chunk`` from 0 to its duration (seconds, chunk clock)."""
