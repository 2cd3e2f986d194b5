"""Speech stages: reply text -> sentence audio (TTS) -> mouth shapes (lip-sync)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from appliance.engines.lipsync.base import LipSyncEngine
from appliance.engines.lipsync.energy import EnergyLipSync
from appliance.engines.tts.base import TtsChunk, TtsEngine
from appliance.errors import KioskError
from appliance.frames import (
    Frame,
    PhonemeTiming,
    Reply,
    ReplyDone,
    SpeechAudio,
    StageError,
    StageTiming,
    Visemes,
)
from appliance.language.style import prosody_for
from appliance.pipeline.processor import Processor

logger = logging.getLogger(__name__)



def _next(it: Iterator[TtsChunk]) -> TtsChunk | None:
    return next(it, None)


class TtsProcessor(Processor):
    """Synthesizes a reply sentence by sentence; the first plays while the rest is made."""

    name = "tts"

    def __init__(self, engine: TtsEngine) -> None:
        super().__init__()
        self.engine = engine

    async def process(self, frame: Frame) -> None:
        if not isinstance(frame, Reply):
            await self.push(frame)
            return
        await self.push(frame)
        started = time.monotonic()
        prosody = prosody_for(frame.style)  # the visitor's mood sets the pace and energy
        offset = 0.0
        first = True
        try:
            voice = self.engine.for_language(frame.language)  # the reply's own language
            chunks = await self.run_blocking(voice.synthesize, frame.text, prosody)
            while (chunk := await self.run_blocking(_next, chunks)) is not None:
                if first:
                    ms = (time.monotonic() - started) * 1000
                    await self.push(StageTiming("tts_first_chunk", ms, turn_id=frame.turn_id))
                    first = False
                phonemes = [PhonemeTiming(p, offset + s, offset + e) for p, s, e in chunk.phonemes]
                await self.push(SpeechAudio(chunk.pcm, chunk.sample_rate, chunk.text, offset,
                                            phonemes, turn_id=frame.turn_id))
                offset += chunk.duration
        except KioskError as exc:
            logger.error("turn %d: TTS failed: %s", frame.turn_id, exc)
            await self.push(StageError(self.name, exc.code, str(exc), turn_id=frame.turn_id))
        await self.timing(frame.turn_id, started)
        await self.push(ReplyDone(turn_id=frame.turn_id))


class LipSyncProcessor(Processor):
    """Adds the :class:`Visemes` of each speech chunk, just ahead of its audio."""

    name = "lipsync"

    def __init__(self, engine: LipSyncEngine, fallback: LipSyncEngine | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.fallback = fallback or EnergyLipSync()

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, SpeechAudio):
            chunk = TtsChunk(frame.pcm, frame.sample_rate, frame.text,
                             [(p.phoneme, p.start - frame.offset, p.end - frame.offset)
                              for p in frame.phonemes])
            engine, source = (self.engine, "alignment") if chunk.phonemes else (
                self.fallback, "energy")
            cues = engine.visemes(chunk)
            for cue in cues:
                cue.start += frame.offset
                cue.end += frame.offset
            await self.push(Visemes(cues, frame.offset, source, turn_id=frame.turn_id))
        await self.push(frame)
