"""ASR stage: a recognizer stream per utterance; partial and final transcripts."""

from __future__ import annotations

import logging
import time

from appliance.engines.asr.base import AsrEngine, AsrStream
from appliance.frames import AudioFrame, Frame, Interrupt, SpeechEnded, SpeechStarted, Transcript
from appliance.pipeline.processor import Processor

logger = logging.getLogger(__name__)


class AsrProcessor(Processor):
    """Feeds utterance audio to the engine; emits the final transcript after SpeechEnded."""

    name = "asr"

    def __init__(self, engine: AsrEngine) -> None:
        super().__init__(queue_size=500)
        self.engine = engine
        self._stream: AsrStream | None = None
        self._turn = 0

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, SpeechStarted):
            self._stream = await self.run_blocking(self.engine.stream)
            self._turn = frame.turn_id
            await self.push(frame)
        elif isinstance(frame, AudioFrame):
            if self._stream is not None and frame.turn_id == self._turn:
                partial = await self.run_blocking(self._stream.accept, frame.pcm)
                if partial is not None and partial.text:
                    await self.push(Transcript(partial.text, False, partial.confidence,
                                               partial.language, turn_id=frame.turn_id))
        elif isinstance(frame, SpeechEnded):
            await self.push(frame)
            await self._finish(frame)
        else:
            await self.push(frame)

    async def _finish(self, frame: SpeechEnded) -> None:
        stream, self._stream = self._stream, None
        if stream is None or frame.turn_id != self._turn:
            return
        started = time.monotonic()
        result = await self.run_blocking(stream.finish)
        await self.timing(frame.turn_id, started)
        logger.info("turn %d: heard %r (confidence %.2f)", frame.turn_id, result.text,
                    result.confidence)
        await self.push(Transcript(result.text, True, result.confidence, result.language,
                                   result.words, turn_id=frame.turn_id))

    async def on_interrupt(self, frame: Interrupt) -> None:
        if self._turn < frame.turn_id:
            self._stream = None
