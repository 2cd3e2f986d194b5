"""Understanding and dialogue stages: transcript -> intent/emotion -> reply."""

from __future__ import annotations

import logging
import time

from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures
from appliance.engines.nlu.voice import voice_features
from appliance.engines.qa.base import DialogContext, QaEngine
from appliance.errors import KioskError
from appliance.frames import (
    Frame,
    PlaybackStopped,
    Reply,
    SpeechEnded,
    StageError,
    SystemFrame,
    Transcript,
    Understanding,
)
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.processor import Processor

logger = logging.getLogger(__name__)

APOLOGY = ("I'm sorry, I'm having trouble answering right now. "
           "Please ask a member of staff at the service counter.")


class NluProcessor(Processor):
    """Final transcripts become :class:`Understanding` (with the voice's prosody)."""

    name = "nlu"

    def __init__(self, engine: NluEngine) -> None:
        super().__init__()
        self.engine = engine
        self._voice: dict[int, SpeechEnded] = {}

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, SpeechEnded):
            self._voice = {frame.turn_id: frame}
            await self.push(frame)
        elif isinstance(frame, Transcript) and frame.final:
            await self.push(frame)
            if frame.text.strip():
                await self._understand(frame)
        else:
            await self.push(frame)

    async def _understand(self, frame: Transcript) -> None:
        ended = self._voice.get(frame.turn_id)
        voice = (voice_features(ended.audio, words=len(frame.text.split()))
                 if ended is not None else VoiceFeatures())
        started = time.monotonic()
        try:
            result = await self.run_blocking(self.engine.understand, frame.text, voice)
        except KioskError as exc:
            await self.push(StageError(self.name, exc.code, str(exc), turn_id=frame.turn_id))
            result = NluResult("out_of_scope", 0.0)
        await self.timing(frame.turn_id, started)
        logger.info("turn %d: intent %s (%.2f), emotion %s", frame.turn_id, result.intent,
                    result.confidence, result.emotion.label)
        await self.push(Understanding(frame.text, result.intent, result.confidence, result.slots,
                                      result.emotion, result.language, turn_id=frame.turn_id))


class DialogProcessor(Processor):
    """Answers each understood request; keeps the history of what was actually said."""

    name = "dialog"

    def __init__(self, engine: QaEngine, conversation: Conversation) -> None:
        super().__init__()
        self.engine = engine
        self.conversation = conversation
        self.context = DialogContext()
        self._asked: dict[int, str] = {}

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, Understanding):
            await self.push(frame)
            await self._answer(frame)
        elif isinstance(frame, Transcript) and frame.final and not frame.text.strip():
            self.conversation.finish(frame.turn_id)  # noise, not a request: stay quiet
            await self.push(frame)
        else:
            await self.push(frame)

    async def _answer(self, frame: Understanding) -> None:
        nlu = NluResult(frame.intent, frame.confidence, frame.slots, frame.emotion,
                        frame.language)
        started = time.monotonic()
        try:
            answer = await self.run_blocking(self.engine.answer, frame.text, nlu, self.context)
            text, style, source, media = answer.text, answer.style, answer.source, answer.media
        except KioskError as exc:
            await self.push(StageError(self.name, exc.code, str(exc), turn_id=frame.turn_id))
            text, style, source, media = APOLOGY, "apologetic", "fallback", []
        await self.timing(frame.turn_id, started)
        self.context.last_answer = text
        self.context.last_slots = {**self.context.last_slots, **frame.slots}
        self._asked[frame.turn_id] = frame.text
        logger.info("turn %d: reply %r", frame.turn_id, text)
        await self.push(Reply(text, frame.intent, style, source, list(media), frame.emotion,
                              turn_id=frame.turn_id))

    async def process_upstream(self, frame: SystemFrame) -> None:
        if isinstance(frame, PlaybackStopped):
            asked = self._asked.pop(frame.turn_id, "")
            self.context.history.append((asked, frame.heard_text))
            del self.context.history[:-20]
        await self.push(frame, upstream=True)
