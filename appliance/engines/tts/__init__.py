"""Text-to-speech engines."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.engines.tts.base import TtsEngine
    from appliance.settings import TtsSettings


def create_tts(settings: TtsSettings) -> TtsEngine:
    from appliance.engines.tts.piper import PiperTts

    return PiperTts(settings.voice or None, length_scale=settings.length_scale,
                    use_cuda=settings.use_cuda)
