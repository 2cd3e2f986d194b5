"""The speech engines: ``[vad]`` (when a visitor speaks), ``[asr]`` (what they said),
``[tts]`` (the kiosk's voice) and ``[lipsync]`` (the mouth shapes for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from appliance.settings.fields import TABLE, Flag, Language, PathText, above, rng, text


@dataclass(frozen=True)
class VadSettings:
    __pydantic_config__ = TABLE

    engine: Literal["silero", "energy"] = "silero"
    """``silero`` (ONNX) or ``energy`` (no model; a fallback)."""
    threshold: Annotated[float, rng(0, 1)] = 0.5
    """Speech probability above which a window counts as voiced."""
    min_speech_ms: Annotated[int, rng(0, 10_000)] = 150
    """Voiced time needed before speech is declared started."""
    min_silence_ms: Annotated[int, rng(1, 10_000)] = 300
    """Unvoiced time after speech before the turn is declared ended."""
    speculate_ms: Annotated[int, rng(0, 10_000)] = 32
    """After this much silence the ASR starts decoding, before the turn is
    declared over; kept if the visitor does not go on (0 = off). 32 ms fires at the
    first silent 32 ms window: ~35 ms sooner to first audio than 48 and ~95 ms sooner
    than 120 on the bench, at 0.35-0.5 wasted decodes per question (README)."""
    pad_ms: Annotated[int, rng(0, 5_000)] = 200
    """Audio kept before onset and after the end for the ASR."""
    max_utterance_s: Annotated[float, above(0, 300)] = 15.0
    """A turn is cut after this long even if the visitor keeps talking."""
    join_ms: Annotated[int, rng(0, 10_000)] = 1200
    """Speech that resumes within this long after a turn ended, before its reply is
    heard, continues that turn ("Excuse me, [pause] where is..."): the ASR hears both
    parts as one question (0 = off)."""


@dataclass(frozen=True)
class AsrSettings:
    __pydantic_config__ = TABLE

    engine: Literal["whisper", "vosk"] = "whisper"
    """``whisper`` (faster-whisper) or ``vosk`` (Kaldi, streaming)."""
    model: PathText = ""
    """Model directory; empty = the packaged default for the engine."""
    language: Language = "en"
    compute_type: Literal["default", "auto", "int8", "int8_float16", "int8_float32",
                          "int8_bfloat16", "int16", "float16", "bfloat16", "float32"] = "int8"
    """CTranslate2 compute type (``int8``, ``int8_float16``, ``float16``, ``float32``)."""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    """``cpu``, ``cuda`` or ``auto``."""
    beam_size: Annotated[int, rng(1, 20)] = 1
    threads: Annotated[int, rng(0, 64)] = 2
    grammar: list[Annotated[str, text(max_length=200)]] = field(default_factory=list)
    """Vosk only: restrict recognition to these phrases (plus ``[unk]``)."""
    window_s: Annotated[float, rng(10, 30)] = 30.0
    """Whisper only: seconds of audio its encoder sees. 30 = Whisper's own window; 15
    decodes ~2x faster here but cost 1-2 WER points on the bench (README)."""
    retry_below: Annotated[float, rng(0, 1)] = 0.6
    """Whisper only, with ``window_s`` under 30: a decode less confident than this
    (mean token probability) is done again on Whisper's full 30 s window. 0 = never."""
    multilingual: Flag = False
    """Whisper only: tell each utterance's language among the site pack's ``languages``
    (Whisper's language ID) and transcribe it in that language, with the multilingual
    Whisper base (``whisper-base``, unless ``model`` names another multilingual model).
    ``false`` = Whisper tiny.en, English only (faster)."""
    bias: Flag = True
    """Bias recognition to the site pack's station, line, exit and place names:
    Whisper gets them as its prompt, Vosk (without ``grammar``) a grammar of the
    site's names and question words plus ``[unk]``. ``false`` = the plain model."""


@dataclass(frozen=True)
class TtsSettings:
    __pydantic_config__ = TABLE

    engine: Literal["piper"] = "piper"
    voice: PathText = ""
    """Piper ``.onnx`` voice; empty = the packaged ``en_US-joe-medium``."""
    length_scale: Annotated[float, rng(0.25, 4)] = 1.0
    """Speaking rate: >1 slower, <1 faster."""
    use_cuda: Flag = False


@dataclass(frozen=True)
class LipsyncSettings:
    __pydantic_config__ = TABLE

    viseme_set: Literal["oculus"] = "oculus"
    """Only ``oculus`` (the 15 Oculus/Meta visemes) for now."""
    min_cue_ms: Annotated[int, rng(0, 1_000)] = 40
    """Shorter mouth shapes are merged into their neighbour (unreadable)."""
