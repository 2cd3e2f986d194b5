"""Understanding and dialogue stages: transcript -> intent/emotion/safety -> reply.

With a :class:`~appliance.behavior.dialog.Dialog` (the kiosk's own), the NLU stage adds the
safety verdict and dialogue acts to each :class:`Understanding`, and the dialogue stage
answers through the dialogue's state: the danger question and its escalation after
``confirm_timeout_s`` of silence, staff offers, clarifications. Without one (tests of
other parts) the stages run the bare NLU and QA engines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from appliance.behavior import lines
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

if TYPE_CHECKING:
    from appliance.behavior.dialog import Dialog, Turn

logger = logging.getLogger(__name__)

APOLOGY = lines.BUILT_IN["en"]["apology"]
"""Said when the answering engine fails (in the visitor's language: ``lines``)."""


class NluProcessor(Processor):
    """Final transcripts become :class:`Understanding` (with the voice's prosody)."""

    name = "nlu"

    def __init__(self, engine: NluEngine, dialog: Dialog | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.dialog = dialog
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
        understand = self.dialog.understand if self.dialog is not None else self.engine.understand
        try:
            result = await self.run_blocking(understand, frame.text, voice)
        except KioskError as exc:
            await self.push(StageError(self.name, exc.code, str(exc), turn_id=frame.turn_id))
            result = NluResult("out_of_scope", 0.0)
        result.language = frame.language  # the ASR's language ID: the answer's language
        await self.timing(frame.turn_id, started)
        logger.info("turn %d: intent %s (%.2f), emotion %s, safety %s %s", frame.turn_id,
                    result.intent, result.confidence, result.emotion.label,
                    result.safety.action, result.safety.category)
        await self.push(Understanding(frame.text, result.intent, result.confidence, result.slots,
                                      result.emotion, result.language, result.safety,
                                      list(result.acts), asked=frame.asked,
                                      turn_id=frame.turn_id))


class DialogProcessor(Processor):
    """Answers each understood request; keeps the history of what was actually said."""

    name = "dialog"

    def __init__(self, engine: QaEngine, conversation: Conversation,
                 dialog: Dialog | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.conversation = conversation
        self.dialog = dialog
        self.context = dialog.context if dialog is not None else DialogContext()
        self._asked: dict[int, str] = {}
        self._escalation: asyncio.Task[None] | None = None

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
        self._cancel_escalation()
        nlu = NluResult(frame.intent, frame.confidence, frame.slots, frame.emotion,
                        frame.language, frame.safety, list(frame.acts))
        started = time.monotonic()
        intent, language = frame.intent, frame.language
        try:
            if self.dialog is not None:
                turn = await self.run_blocking(self.dialog.respond, frame.text, nlu)
                # the dialogue's language: a bare "sí" keeps its question's
                answer, intent, language = turn.answer, turn.nlu.intent, turn.nlu.language
            else:
                answer = await self.run_blocking(self.engine.answer, frame.text, nlu,
                                                 self.context)
            text, style, source, media = answer.text, answer.style, answer.source, answer.media
            show = answer.show
        except KioskError as exc:
            await self.push(StageError(self.name, exc.code, str(exc), turn_id=frame.turn_id))
            pack = self.dialog.pack if self.dialog is not None else None
            text, style, source = lines.line(pack, language, "apology"), "apologetic", "fallback"
            media = []
            show = None
        await self.timing(frame.turn_id, started)
        if self.dialog is None:
            self.context.last_answer = text
            self.context.last_slots = {**self.context.last_slots, **frame.slots}
        self._asked[frame.turn_id] = frame.text
        logger.info("turn %d: reply %r", frame.turn_id, text)
        await self.push(Reply(text, intent, style, source, list(media), frame.emotion,
                              asked=frame.asked, show=show, language=language,
                              turn_id=frame.turn_id))
        pending = self.dialog.pending if self.dialog is not None else None
        if pending is not None and pending.kind == "confirm_danger":
            self._escalation = asyncio.create_task(self._escalate_later(),
                                                   name="dialog-danger-question")

    async def _escalate_later(self) -> None:
        """No answer to the danger question: the dialogue alerts staff, and says so."""
        assert self.dialog is not None
        await asyncio.sleep(self.dialog.confirm_timeout_s)
        turn: Turn | None = self.dialog.tick()
        if turn is None:
            return
        turn_id = self.conversation.new_turn()
        self.conversation.pending_turn = turn_id
        logger.warning("turn %d: no answer to the danger question; staff alerted", turn_id)
        await self.push(Reply(turn.answer.text, turn.nlu.intent, turn.answer.style,
                              turn.answer.source, language=turn.nlu.language, turn_id=turn_id))

    def _cancel_escalation(self) -> None:
        if self._escalation is not None and not self._escalation.done():
            self._escalation.cancel()
        self._escalation = None

    async def cleanup(self) -> None:
        task, self._escalation = self._escalation, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def process_upstream(self, frame: SystemFrame) -> None:
        if isinstance(frame, PlaybackStopped):
            asked = self._asked.pop(frame.turn_id, "")
            history = self.context.history
            if self.dialog is not None and history and history[-1][0] == asked:
                history[-1] = (asked, frame.heard_text)  # the dialogue logged what it planned
            else:
                history.append((asked, frame.heard_text))
            del history[:-20]
        await self.push(frame, upstream=True)
