"""Text to speech: sentence-by-sentence audio with phoneme timings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from appliance.engines.tts.sentences import is_phrase_head

SILENCE_FLOOR = 300
"""int16 level under which a voice's sample counts as silence (voices normalize)."""
PHRASE_PAUSE_S = 0.1
"""Silence kept after a chunk cut before a phrase (:func:`~appliance.engines.tts.sentences.
speakable`): with the next chunk's own lead-in, a pause of ~150 ms, where the voice's
comma pause is ~300 ms and a sentence said whole has none."""


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

    def with_phrase_pause(self) -> TtsChunk:
        """This chunk as it joins the next: one cut mid-sentence before a phrase keeps
        only :data:`PHRASE_PAUSE_S` of its trailing silence; any other is unchanged."""
        return self.trim_tail(PHRASE_PAUSE_S) if is_phrase_head(self.text) else self

    def trim_tail(self, keep_s: float, floor: int = SILENCE_FLOOR) -> TtsChunk:
        """This chunk with its trailing silence (below ``floor``) cut to ``keep_s``; the
        phoneme timings clipped to match. A phrase cut mid-sentence ends in a comma's
        pause, and the voice's pause plus the next chunk's lead-in would be a long one."""
        loud = np.flatnonzero(np.abs(self.pcm.astype(np.int32)) >= floor)
        end = int(loud[-1]) + 1 + int(keep_s * self.sample_rate) if len(loud) else 0
        if not len(loud) or end >= len(self.pcm):
            return self
        t_end = end / self.sample_rate
        phonemes = [(p, s, min(e, t_end)) for p, s, e in self.phonemes if s < t_end]
        return TtsChunk(self.pcm[:end], self.sample_rate, self.text, phonemes)


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
