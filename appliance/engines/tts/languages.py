"""One voice per language: the reply is spoken by the voice of the language it is in."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from appliance.engines.tts.base import Prosody, TtsChunk, TtsEngine

logger = logging.getLogger(__name__)


class LanguageVoices(TtsEngine):
    """Speaks with ``default`` (the pack's first language) unless told another language
    (:meth:`for_language`) that ``voices`` has a voice for."""

    def __init__(self, default: TtsEngine, voices: Mapping[str, TtsEngine]) -> None:
        self.default = default
        self.voices = dict(voices)
        self.name = default.name
        self.sample_rate = default.sample_rate

    @property
    def length_scale(self) -> float:
        """The speaking rate (the fleet sets it hot): the default voice's."""
        return float(getattr(self.default, "length_scale", 1.0))

    @length_scale.setter
    def length_scale(self, value: float) -> None:
        for voice in (self.default, *self.voices.values()):
            if hasattr(voice, "length_scale"):
                voice.length_scale = value

    def for_language(self, language: str) -> TtsEngine:
        """The voice for ``language`` (the default voice for any other)."""
        return self.voices.get(language.lower(), self.default)

    def synthesize(self, text: str, prosody: Prosody | None = None) -> Iterator[TtsChunk]:
        return self.default.synthesize(text, prosody)
