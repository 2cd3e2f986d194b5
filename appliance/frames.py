"""The one vocabulary of events that flow through the kiosk pipeline.

Every frame carries ``ts`` (``time.monotonic()`` when it was made) and ``turn_id``
(the conversation turn it belongs to; 0 before the first turn). Frames come in
three tiers, as in pipecat:

* :class:`SystemFrame` overtakes everything queued (interrupt, stop, errors);
* :class:`ControlFrame` is queued in order but never dropped on interruption
  (speech started/ended);
* :class:`DataFrame` is queued in order and dropped when an interrupt arrives
  (audio, transcripts, replies, speech audio, visemes).

Frames are plain dataclasses; audio is ``numpy.int16`` mono at the stated rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PIPELINE_SAMPLE_RATE = 16_000
"""Sample rate of every :class:`AudioFrame` inside the pipeline (Hz)."""

FRAME_MS = 20
"""Duration of one microphone frame (ms)."""


def _now() -> float:
    return time.monotonic()


@dataclass
class Frame:
    """Base of all frames."""

    ts: float = field(default_factory=_now, kw_only=True)
    turn_id: int = field(default=0, kw_only=True)

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass
class SystemFrame(Frame):
    """Overtakes queued frames; never dropped."""


@dataclass
class ControlFrame(Frame):
    """Kept in order; survives interruption."""


@dataclass
class DataFrame(Frame):
    """Kept in order; dropped on interruption."""


# --- audio in -------------------------------------------------------------


@dataclass
class AudioFrame(DataFrame):
    """One chunk of visitor audio (int16 mono, ``sample_rate`` Hz).

    ``stream_time`` is the position of the first sample in the capture stream,
    in seconds, on the microphone's own clock.
    """

    pcm: np.ndarray
    sample_rate: int = PIPELINE_SAMPLE_RATE
    stream_time: float = 0.0

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass
class SpeechStarted(ControlFrame):
    """The VAD heard the visitor begin to speak (``stream_time`` of onset)."""

    stream_time: float


@dataclass
class SpeechPaused(ControlFrame):
    """The visitor paused; the turn may be over. ASR may decode speculatively.

    ``stream_time`` is the end of the last voiced audio before the pause. If
    the :class:`SpeechEnded` that follows has the same last voice, nothing was
    said since and a speculative transcript is final.
    """

    stream_time: float


@dataclass
class SpeechEnded(ControlFrame):
    """The endpointer decided the visitor finished.

    ``last_voice_ts`` is the monotonic time the last voiced sample was captured:
    the zero of ``end_of_speech_to_first_audio``. ``audio`` is the utterance
    (int16, 16 kHz) including a little padding on both sides.
    """

    stream_time: float
    last_voice_ts: float
    audio: np.ndarray


# --- understanding ----------------------------------------------------------


@dataclass
class WordTiming:
    word: str
    start: float
    end: float
    confidence: float = 1.0


INPUT_SOURCES = ("voice", "touch", "text", "sign")
"""How a question reached the kiosk: spoken, a suggestion button touched, typed, or
fingerspelled to the camera (:mod:`appliance.sign.input`)."""


@dataclass
class Asked:
    """How the visitor asked: ``source`` (one of :data:`INPUT_SOURCES`) and whether they
    want the reply signed (``sign``: the hook for sign-language output, carried from the
    question to its :class:`Reply`)."""

    source: str = "voice"
    sign: bool = False


@dataclass
class Transcript(DataFrame):
    """What the visitor said, partial (while speaking) or final.

    A touched or typed question is a final transcript too (``asked.source`` says which),
    so understanding, safety and answers treat it exactly as speech.
    """

    text: str
    final: bool = True
    confidence: float = 1.0
    language: str = "en"
    words: list[WordTiming] = field(default_factory=list)
    asked: Asked = field(default_factory=Asked)


@dataclass
class Emotion:
    """How the visitor feels: a label plus continuous valence and arousal."""

    label: str = "neutral"
    valence: float = 0.0
    arousal: float = 0.3

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "valence": round(self.valence, 3),
            "arousal": round(self.arousal, 3),
        }


SAFETY_ACTIONS = ("none", "confirm", "alert")


@dataclass
class Safety:
    """Whether someone may be in danger: the safety engine's verdict on one utterance.

    ``action`` is ``none``, ``confirm`` (ask the visitor one short question first) or
    ``alert`` (call staff at once); ``category`` names the danger (``medical``,
    ``fire_smoke``, ...; empty for ``none``); ``score`` is the model's danger
    probability; ``cue`` is the keyword that raised a ``confirm``, if one did.
    """

    action: str = "none"
    category: str = ""
    score: float = 0.0
    cue: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "category": self.category,
                               "score": round(self.score, 3)}
        if self.cue:
            out["cue"] = self.cue
        return out


@dataclass
class Understanding(DataFrame):
    """Intent, slots, emotion, safety and dialogue acts from a final transcript."""

    text: str
    intent: str
    confidence: float
    slots: dict[str, str] = field(default_factory=dict)
    emotion: Emotion = field(default_factory=Emotion)
    language: str = "en"
    safety: Safety = field(default_factory=Safety)
    acts: list[str] = field(default_factory=list)
    asked: Asked = field(default_factory=Asked)


@dataclass
class ShowLeg:
    """One ride of a route to draw: the ``line`` id and every station it stops at, in the
    order travelled (the first is where the visitor boards, the last where they alight)."""

    line: str
    stations: list[str]


@dataclass
class Show:
    """What an answer draws for the visitor, as data (the avatar never re-reads the text).

    A route: ``legs`` in order and the ``changes`` (stations where the visitor changes
    line); a place: ``place``, the id of a place on the site pack's station plan. Ids are
    the pack's own (station, line and place ids).
    """

    legs: list[ShowLeg] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    place: str = ""

    @property
    def kind(self) -> str:
        """``route``, ``place`` or empty (nothing to draw)."""
        return "route" if self.legs else "place" if self.place else ""


@dataclass
class Reply(DataFrame):
    """What the avatar will say, with the style to say it in."""

    text: str
    intent: str = ""
    style: str = "neutral"
    source: str = ""
    media: list[str] = field(default_factory=list)
    emotion: Emotion = field(default_factory=Emotion)
    asked: Asked = field(default_factory=Asked)
    """How the question this answers was asked (touch/text replies are shown large;
    ``asked.sign`` asks for the reply in sign language)."""
    show: Show | None = None
    """What to draw for the answer (a route on the network map, a place on the station
    plan); drawn in place of the ``media`` image."""
    language: str = "en"
    """The language the reply is in (the visitor's, as the ASR heard it): the voice that
    says it (:meth:`TtsEngine.for_language`)."""


# --- speech out ---------------------------------------------------------------


@dataclass
class PhonemeTiming:
    """One phoneme of synthesized speech, in seconds from the reply's start."""

    phoneme: str
    start: float
    end: float


@dataclass
class SpeechAudio(DataFrame):
    """One sentence of synthesized reply audio.

    ``offset`` is where this chunk starts in the reply's audio clock (seconds);
    ``phonemes`` are timed on the same clock.
    """

    pcm: np.ndarray
    sample_rate: int
    text: str
    offset: float
    phonemes: list[PhonemeTiming] = field(default_factory=list)
    last: bool = False

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass
class VisemeCue:
    """A mouth shape held from ``start`` to ``end`` (seconds, reply clock)."""

    viseme: str
    start: float
    end: float


@dataclass
class Visemes(DataFrame):
    """Mouth shapes for one :class:`SpeechAudio` chunk."""

    cues: list[VisemeCue]
    offset: float
    source: str = "alignment"  # or "energy" for the audio-driven fallback


@dataclass
class ReplyDone(ControlFrame):
    """Every chunk of the reply for ``turn_id`` has been pushed."""


# --- vision -----------------------------------------------------------------


@dataclass
class VideoFrame(DataFrame):
    """A camera image (BGR uint8). Never stored or sent off the device."""

    image: np.ndarray


@dataclass
class Presence(ControlFrame):
    """Who is in front of the kiosk: counts and bearings only."""

    faces: int
    engaged: bool
    nearest_bearing_deg: float | None = None
    event: str = ""  # "approached" | "engaged" | "left" | ""


# --- system -----------------------------------------------------------------


@dataclass
class Interrupt(SystemFrame):
    """Stop speaking now: clears TTS, playback and pending visemes.

    ``turn_id`` is the turn that interrupts: work of every older turn is dropped.
    """

    reason: str = "barge-in"


@dataclass
class PlaybackStopped(SystemFrame):
    """The speaker stopped a reply; ``position`` seconds of it were heard.

    ``heard_text`` is the part of the reply the visitor actually heard (whole
    words), which is what the dialogue history keeps.
    """

    position: float
    interrupted: bool
    heard_text: str = ""


@dataclass
class StageError(SystemFrame):
    """An engine failed; ``code`` is stable (e.g. ``asr-failed``)."""

    stage: str
    code: str
    message: str
    retryable: bool = False


@dataclass
class StageTiming(SystemFrame):
    """A stage finished work for a turn in ``latency_ms``."""

    stage: str
    latency_ms: float


@dataclass
class EndOfStream(ControlFrame):
    """The input is exhausted (a WAV file ended); drain and stop."""


@dataclass
class Stop(SystemFrame):
    """Shut the pipeline down now."""
