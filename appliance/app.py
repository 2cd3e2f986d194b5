"""Assemble the kiosk: engines + devices + pipeline, and record what each turn did."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from appliance.behavior.dialog import Dialog
from appliance.engines.factory import Engines
from appliance.engines.qa.site_qa import SiteQa
from appliance.errors import InputError
from appliance.frames import (
    Asked,
    AudioFrame,
    EndOfStream,
    Frame,
    Interrupt,
    PlaybackStopped,
    Reply,
    SpeechAudio,
    SpeechEnded,
    StageError,
    StageTiming,
    Transcript,
    Understanding,
    VisemeCue,
)
from appliance.language.text_language import TextLanguage
from appliance.pipeline.asr_stage import AsrProcessor
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.output_stage import OutputProcessor
from appliance.pipeline.pipeline import Pipeline
from appliance.pipeline.processor import WhenFull
from appliance.pipeline.speech_stage import LipSyncProcessor, TtsProcessor
from appliance.pipeline.turn_model import judge_for
from appliance.pipeline.typed import Question
from appliance.pipeline.understanding_stage import DialogProcessor, NluProcessor
from appliance.pipeline.vad_stage import VadProcessor
from appliance.settings import Settings
from hw.audio_in import AudioInput, SimMicrophone
from hw.audio_out import AudioOutput, SimSpeaker
from hw.audio_util import WavFormatError, read_wav, resample, rms_dbfs, to_mono

logger = logging.getLogger(__name__)


@dataclass
class TurnRecord:
    """Everything one turn produced, for the demo, the bench and health."""

    turn_id: int
    transcript: str = ""
    asr_confidence: float = 0.0
    asked: Asked = field(default_factory=Asked)
    understanding: Understanding | None = None
    reply: Reply | None = None
    latency_ms: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    audio: list[SpeechAudio] = field(default_factory=list)
    visemes: list[VisemeCue] = field(default_factory=list)
    playback: PlaybackStopped | None = None
    utterance_s: float = 0.0

    @property
    def reply_pcm(self) -> np.ndarray:
        if not self.audio:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate([a.pcm for a in self.audio])

    @property
    def sample_rate(self) -> int:
        return self.audio[0].sample_rate if self.audio else 22_050


class TurnRecorder:
    """Collects the frames reaching the end of the pipeline into :class:`TurnRecord` s.

    Keeps the last ``keep`` turns (a kiosk runs for months) plus running counters
    and recent stage latencies for the health report.
    """

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self.turns: dict[int, TurnRecord] = {}
        self.counters = {"turns": 0, "answered": 0, "interrupted": 0, "errors": 0,
                         "out_of_scope": 0}
        self.latency: dict[str, list[float]] = {}

    def turn(self, turn_id: int) -> TurnRecord:
        if turn_id not in self.turns:
            self.turns[turn_id] = TurnRecord(turn_id)
            for old in sorted(self.turns)[: -self.keep]:
                del self.turns[old]
        return self.turns[turn_id]

    def health(self) -> dict[str, Any]:
        """Counters and per-stage latency p50/p95 over recent turns."""
        from appliance.system.metrics import percentiles

        return {"counters": dict(self.counters),
                "latency_ms": {k: percentiles(v) for k, v in sorted(self.latency.items())}}

    def __call__(self, frame: Frame) -> None:
        if frame.turn_id == 0 and not isinstance(frame, StageError):
            return
        rec = self.turn(frame.turn_id)
        if isinstance(frame, SpeechEnded):
            rec.utterance_s = len(frame.audio) / 16_000
        elif isinstance(frame, Transcript) and frame.final:
            rec.transcript, rec.asr_confidence = frame.text, frame.confidence
            rec.asked = frame.asked
            self.counters["turns"] += bool(frame.text)  # the visitor said something
        elif isinstance(frame, Understanding):
            rec.understanding = frame
            self.counters["out_of_scope"] += frame.intent == "out_of_scope"
        elif isinstance(frame, Reply):
            rec.reply = frame
            self.counters["answered"] += 1
        elif isinstance(frame, SpeechAudio):
            rec.audio.append(frame)
        elif isinstance(frame, StageTiming):
            rec.latency_ms[frame.stage] = round(frame.latency_ms, 1)
            recent = self.latency.setdefault(frame.stage, [])
            recent.append(frame.latency_ms)
            del recent[: -self.keep * 2]
        elif isinstance(frame, StageError):
            rec.errors.append({"stage": frame.stage, "code": frame.code, "message": frame.message})
            self.counters["errors"] += 1
        elif isinstance(frame, PlaybackStopped):
            rec.playback = frame
            self.counters["interrupted"] += frame.interrupted

    def on_visemes(self, turn_id: int, cues: list[VisemeCue]) -> None:
        if cues:  # an empty list means "interrupted": the cues already kept stay
            self.turn(turn_id).visemes.extend(cues)

    @property
    def answered(self) -> list[TurnRecord]:
        return [t for t in sorted(self.turns.values(), key=lambda t: t.turn_id) if t.reply]


def _dialog(engines: Engines) -> Dialog | None:
    """The kiosk's dialogue (state, acts, safety) over the site QA; None over other engines."""
    if not isinstance(engines.qa, SiteQa):
        return None
    return Dialog(engines.qa.pack, engines.nlu, engines.qa, engines.safety)


LANGUAGE_HOLD_S = 60.0
"""How long the conversation keeps the last reply's language for a question that does
not tell its own (a place touched on the plan): the screens' minute before they forget
the last visitor."""


class Kiosk:
    """One running conversation loop: microphone -> pipeline -> speaker."""

    def __init__(self, settings: Settings, engines: Engines, mic: AudioInput,
                 speaker: AudioOutput) -> None:
        self.settings = settings
        self.engines = engines
        self.mic = mic
        self.speaker = speaker
        self.config_problems: list[dict[str, Any]] = []
        """Settings refused at start (key, value, allowed); each runs on its fallback."""
        self.degraded: list[str] = []
        """Why the kiosk runs on less than it was set up for (a device on its sim twin)."""
        self.health_parts: dict[str, Callable[[], dict[str, Any]]] = {}
        """More parts of the health report by key (``sign_input``), each read per report."""
        self.conversation = Conversation()
        self.recorder = TurnRecorder()
        self.output = OutputProcessor(speaker, self.conversation)
        self.output.viseme_listeners.append(self.recorder.on_visemes)
        # the end of turn judged by the site pack's learned model (the words rule without one)
        pack = engines.qa.pack if isinstance(engines.qa, SiteQa) else None
        self.vad = VadProcessor(engines.vad, self.conversation, settings.vad, settings.pipeline,
                                judge=judge_for(pack))
        # a typed question's language, where speech has the ASR's language ID
        self.text_language = TextLanguage.for_pack(pack) if pack is not None else None
        if not mic.live:  # a WAV read unpaced (kiosk demo --fast): wait for the VAD, drop nothing
            self.vad.when_full = WhenFull.BLOCK
        self.tts = TtsProcessor(engines.tts)
        self.dialog = _dialog(engines)
        self.nlu = NluProcessor(engines.nlu, self.dialog)
        self.pipeline = Pipeline([
            self.vad,
            AsrProcessor(engines.asr, self.conversation),
            self.nlu,
            DialogProcessor(engines.qa, self.conversation, self.dialog),
            self.tts,
            LipSyncProcessor(engines.lipsync),
            self.output,
        ])
        self.pipeline.on_frame(self.recorder)
        self.first_language = pack.language if pack is not None else "en"
        self._spoken: tuple[str, float] | None = None
        """The language of the last reply to a visitor, and when it was said."""
        self.pipeline.on_frame(self._note_language)

    def _note_language(self, frame: Frame) -> None:
        if isinstance(frame, Reply) and frame.intent != "announcement":
            self._spoken = (frame.language, time.monotonic())

    def conversation_language(self, now: float | None = None) -> str:
        """The language the visitor is using: the last reply's, for
        :data:`LANGUAGE_HOLD_S`; then (a new visitor) the pack's first language."""
        now = time.monotonic() if now is None else now
        if self._spoken is not None and now - self._spoken[1] <= LANGUAGE_HOLD_S:
            return self._spoken[0]
        return self.first_language

    async def run(self, timeout: float | None = None) -> TurnRecorder:
        """Feed the microphone until it ends (sim WAV) or the task is cancelled."""
        async with self.pipeline:
            try:
                await asyncio.wait_for(self._feed(), timeout)
                await self.pipeline.wait_ended(timeout)
            finally:
                await self.mic.close()
                await self.speaker.close()
        return self.recorder

    async def say(self, text: str, style: str = "neutral") -> int:
        """Speak a line outside any conversation (fleet ``say``, announcements)."""
        turn = self.conversation.new_turn()
        self.conversation.pending_turn = turn
        await self.tts.queue_frame(Reply(text, "announcement", style, "operator", turn_id=turn))
        return turn

    async def ask(self, question: Question) -> int:
        """A touched or typed question (see :func:`~appliance.pipeline.typed.check_question`):
        a new turn whose final transcript enters understanding where the ASR's would.

        Like speech, it interrupts a reply being prepared or played. Returns the turn id.
        """
        turn = self.conversation.new_turn()
        if self.conversation.busy:
            await self.pipeline.push(Interrupt(f"visitor {question.source}", turn_id=turn))
        self.conversation.pending_turn = turn
        language = question.language or (self.text_language.detect(question.text)
                                          if self.text_language is not None else "en")
        logger.info("turn %d: %s question %r (%s)", turn, question.source, question.text,
                    language)
        await self.nlu.queue_frame(Transcript(question.text, language=language,
                                              asked=Asked(question.source, question.sign),
                                              turn_id=turn))
        return turn

    async def _feed(self) -> None:
        async for chunk in self.mic.frames():
            await self.pipeline.push(AudioFrame(chunk.pcm, chunk.sample_rate, chunk.stream_time,
                                                ts=chunk.captured_at))
        await self.pipeline.push(EndOfStream())


SILENCE_DBFS = -55.0
"""A visitor WAV quieter than this (and without a 300 peak) holds no question."""


def check_question_wav(path: Path) -> np.ndarray:
    """Read a visitor WAV as 16 kHz mono, or raise InputError with one clear line."""
    try:
        pcm, rate = read_wav(path)
    except WavFormatError as exc:
        raise InputError(str(exc)) from exc
    mono = np.asarray(resample(to_mono(pcm), rate, 16_000), dtype=np.int16)
    if rms_dbfs(mono) < SILENCE_DBFS and np.abs(mono).max(initial=0) < 300:
        raise InputError(f"{path}: the recording is silent (no speech to answer)")
    return mono


async def converse(
    settings: Settings, engines: Engines, question: np.ndarray, realtime: bool
) -> TurnRecord | None:
    """One visitor question (16 kHz mono) through a fresh :class:`Kiosk` on sim audio: the
    last answered turn (else the last heard one), ``None`` when nothing was heard."""
    mic = SimMicrophone(question, realtime=realtime, tail_s=1.0)
    speaker = SimSpeaker(engines.tts.sample_rate, realtime=realtime)
    kiosk = Kiosk(settings, engines, mic, speaker)
    recorder = await kiosk.run(timeout=120)
    heard = [t for t in sorted(recorder.turns.values(), key=lambda t: t.turn_id) if t.transcript]
    answered = [t for t in heard if t.reply]
    chosen = answered or heard
    return chosen[-1] if chosen else None
