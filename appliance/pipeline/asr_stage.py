"""ASR stage: a recognizer stream per utterance; partial and final transcripts."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable

from appliance.engines.asr.base import AsrEngine, AsrResult, AsrStream
from appliance.frames import (
    AudioFrame,
    Frame,
    Interrupt,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
    StageTiming,
    Transcript,
)
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.processor import Processor

logger = logging.getLogger(__name__)


def _timed(fn: Callable[[], AsrResult | None]) -> tuple[AsrResult | None, float]:
    started = time.monotonic()
    result = fn()
    return result, (time.monotonic() - started) * 1000.0


class AsrProcessor(Processor):
    """Feeds utterance audio to the engine; emits the final transcript after SpeechEnded.

    When the visitor pauses (:class:`SpeechPaused`) a non-streaming engine
    starts decoding at once; if the turn then ends with no new speech, that
    result is final and the endpointing silence has hidden the decoding time.
    """

    name = "asr"

    def __init__(self, engine: AsrEngine, conversation: Conversation | None = None) -> None:
        """``conversation``: where the pause's guess is left for the endpointer to judge."""
        super().__init__(queue_size=500)
        self.engine = engine
        self.conversation = conversation
        self._stream: AsrStream | None = None
        self._turn = 0
        self._guess: asyncio.Future[tuple[AsrResult | None, float]] | None = None
        self._guess_at = -1.0  # last-voice time the guess was made for
        self.speculation = {"used": 0, "wasted": 0}

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
        elif isinstance(frame, SpeechPaused):
            if self._stream is not None and frame.turn_id == self._turn:
                self._drop_guess()
                self._guess = asyncio.ensure_future(self.run_blocking(_timed, self._stream.peek))
                self._guess_at = frame.stream_time
                self._guess.add_done_callback(
                    functools.partial(self._tell_endpointer, turn=frame.turn_id,
                                      at=frame.stream_time))
            await self.push(frame)
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
        result: AsrResult | None = None
        if self._guess is not None and abs(self._guess_at - frame.stream_time) < 1e-6:
            result, decode_ms = await self._guess  # nothing was said after the pause
            self._guess = None
        self._drop_guess()
        if result is None:
            result, decode_ms = await self.run_blocking(_timed, stream.finish)
        else:
            self.speculation["used"] += 1
        assert result is not None
        await self.timing(frame.turn_id, started)  # what the visitor waits for
        await self.push(StageTiming("asr_decode", decode_ms, turn_id=frame.turn_id))
        logger.info("turn %d: heard %r (confidence %.2f)", frame.turn_id, result.text,
                    result.confidence)
        await self.push(Transcript(result.text, True, result.confidence, result.language,
                                   result.words, turn_id=frame.turn_id))

    def _tell_endpointer(self, guess: asyncio.Future[tuple[AsrResult | None, float]], *,
                         turn: int, at: float) -> None:
        """Leave the words heard up to the pause where the VAD stage reads them."""
        if self.conversation is None or guess.cancelled():
            return  # cancelled: the visitor spoke again, and that resets the endpointer
        # a failed guess (reported when the turn's own decode runs) judges nothing: ""
        result = None if guess.exception() is not None else guess.result()[0]
        self.conversation.heard_so_far = (turn, at, result.text if result else "")

    def _drop_guess(self) -> None:
        if self._guess is not None:
            self.speculation["wasted"] += 1
            self._guess.cancel()
            self._guess = None

    async def on_interrupt(self, frame: Interrupt) -> None:
        if self._turn < frame.turn_id:
            self._stream = None
            self._drop_guess()

    async def cleanup(self) -> None:
        self._drop_guess()
