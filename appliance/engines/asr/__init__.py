"""Speech recognition engines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.engines.asr.base import AsrEngine
    from appliance.engines.asr.vocabulary import SiteVocabulary
    from appliance.settings import AsrSettings


def create_asr(settings: AsrSettings, vocabulary: SiteVocabulary | None = None,
               languages: Sequence[str] = ()) -> AsrEngine:
    """The configured ASR engine (raises EngineLoadError if its model is missing).

    ``vocabulary`` (the site pack's names) biases it unless ``asr.bias`` is off;
    ``languages`` (the site pack's) are told apart per utterance when ``asr.multilingual``.
    """
    vocab = vocabulary if settings.bias else None
    if settings.engine == "vosk":
        from appliance.engines.asr.vosk import VoskAsr

        return VoskAsr(settings.model or None, language=settings.language,
                       grammar=settings.grammar, vocabulary=vocab)
    from appliance.engines.asr.whisper import WhisperAsr

    return WhisperAsr(settings.model or None, language=settings.language,
                      device=settings.device, compute_type=settings.compute_type,
                      beam_size=settings.beam_size, threads=settings.threads,
                      vocabulary=vocab, window_s=settings.window_s,
                      retry_below=settings.retry_below,
                      languages=languages if settings.multilingual else ())
