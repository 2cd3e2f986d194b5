"""Text-to-speech engines."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.engines.tts.base import TtsEngine
    from appliance.settings import TtsSettings

logger = logging.getLogger(__name__)


def create_tts(settings: TtsSettings, languages: Sequence[str] = ()) -> TtsEngine:
    """Piper for the first language; with more ``languages`` (the site pack's), an
    espeak-ng voice for each other one espeak-ng speaks (no registry ships Piper voices
    for them). A language with no voice is spoken by Piper, with a warning."""
    from appliance.engines.tts.piper import PiperTts

    piper = PiperTts(settings.voice or None, length_scale=settings.length_scale,
                     use_cuda=settings.use_cuda)
    voices: dict[str, TtsEngine] = {}
    for lang in list(dict.fromkeys(languages))[1:]:
        from appliance.engines.tts.espeak import EspeakTts
        from appliance.errors import EngineLoadError

        try:
            voices[lang] = EspeakTts(lang, length_scale=settings.length_scale)
        except EngineLoadError as exc:
            logger.warning("no voice for '%s' (%s): Piper speaks it", lang, exc)
    if not voices:
        return piper
    from appliance.engines.tts.languages import LanguageVoices

    return LanguageVoices(piper, voices)
