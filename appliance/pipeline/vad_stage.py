"""VAD stage: speech probability per window, endpointing, barge-in."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np

from appliance.engines.vad.base import VadEngine
from appliance.frames import (
    AudioFrame,
    EndOfStream,
    Frame,
    Interrupt,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
)
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.endpointer import Endpointer
from appliance.pipeline.processor import Processor, WhenFull
from appliance.pipeline.turn_end import words_complete
from appliance.settings import PipelineSettings, VadSettings

logger = logging.getLogger(__name__)

HEARD_ANSWER_S = 0.5
"""Speech that starts later than this into the avatar's answer is a new question, not
the rest of the last one (the barge-in still interrupts the answer either way)."""

COMPLETE_SILENCE_S = 0.2
"""Silence that ends a pause whose words are a finished sentence (the ASR's guess
says so): at most the usual ``min_silence_ms``."""
OPEN_SILENCE_S = 1.2
"""Silence that ends a pause whose words are left open ("I need to get to the ...
um"): at least the usual ``min_silence_ms``. 0.8 s still split "Where can I buy a ...
day pass?" in the bench's espeak-ng voice; open calls are rare on finished sentences,
so the longer wait costs little (speech_loop p95 did not move)."""


class VadProcessor(Processor):
    """Turns microphone frames into SpeechStarted / audio / SpeechEnded for the ASR.

    Only audio inside an utterance (plus ``pad_ms`` before it) travels on.
    Speech that starts while a reply is pending or playing interrupts it: at
    once while the kiosk is thinking, after ``interrupt_min_speech_ms`` while it
    talks (so a cough does not cut it off). ``judge`` says whether the ASR's guess
    during a pause is a finished sentence (the site pack's learned model,
    :mod:`appliance.pipeline.turn_model`); without one the rule of
    :func:`~appliance.pipeline.turn_end.words_complete` judges.
    """

    name = "vad"

    def __init__(self, engine: VadEngine, conversation: Conversation,
                 settings: VadSettings | None = None,
                 pipeline: PipelineSettings | None = None,
                 judge: Callable[[str], bool | None] | None = None) -> None:
        super().__init__(queue_size=100, when_full=WhenFull.DROP_OLDEST)
        self.judge = judge or words_complete
        s = settings or VadSettings()
        p = pipeline or PipelineSettings()
        self.engine = engine
        self.conversation = conversation
        self.endpointer = Endpointer(s.threshold, s.min_speech_ms / 1000,
                                     s.min_silence_ms / 1000, s.max_utterance_s,
                                     complete_silence_s=COMPLETE_SILENCE_S,
                                     open_silence_s=OPEN_SILENCE_S)
        self.pad_s = s.pad_ms / 1000
        self.join_s = s.join_ms / 1000
        self._last: tuple[list[AudioFrame], float] | None = None  # last utterance, its end
        self._answer_from: float | None = None  # stream time the avatar began answering it
        self.speculate_s = s.speculate_ms / 1000
        self._paused_at: float | None = None  # last voice time a pause was announced for
        self.barge_in_s = p.interrupt_min_speech_ms / 1000
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_t = 0.0
        self._history: list[AudioFrame] = []  # recent frames: pre-roll and the utterance
        self._utterance: list[AudioFrame] = []
        self._clock = 0.0  # monotonic - stream time, from the latest frame
        self._barge_in_voiced: float | None = None  # voiced time still needed to interrupt
        self.probabilities: list[float] = []

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, AudioFrame):
            await self._audio(frame)
        elif isinstance(frame, EndOfStream):
            if self.endpointer.speaking:
                await self._ended(self._pending_t, forced=True)
            await self.push(frame)
        else:
            await self.push(frame)

    async def _audio(self, frame: AudioFrame) -> None:
        self._clock = frame.ts - frame.stream_time
        if self.conversation.speaking and self._answer_from is None:
            self._answer_from = frame.stream_time  # the avatar began to answer
        if not len(self._pending):
            self._pending_t = frame.stream_time
        self._pending = np.concatenate([self._pending, frame.pcm.astype(np.float32) / 32768.0])
        n = self.engine.window_samples
        count = len(self._pending) // n
        windows = [self._pending[i * n:(i + 1) * n] for i in range(count)]
        self._pending = self._pending[count * n:]
        probs = await self.run_blocking(lambda: [self.engine.probability(w) for w in windows])
        self.probabilities.extend(probs)
        if self.endpointer.speaking:
            frame.turn_id = self.conversation.turn_id
            self._utterance.append(frame)
            await self.push(frame)
        else:
            self._history.append(frame)
            keep = int(self.pad_s / max(frame.duration, 1e-3)) + 12
            del self._history[:-keep]
        dur = n / self.engine.sample_rate
        for prob in probs:
            self._judge_words()
            t = self._pending_t
            self._pending_t += dur
            event = self.endpointer.update(prob, t, dur)
            if event is not None and event.kind == "start":
                await self._started(event.time)
            elif event is not None:
                await self._ended(event.time, forced=event.forced)
            elif prob >= self.endpointer.on:
                await self._maybe_barge_in(dur)
            await self._maybe_pause()

    async def _started(self, onset: float) -> None:
        was_busy = self.conversation.busy
        turn = self.conversation.new_turn()
        logger.info("turn %d: speech started at %.2f s", turn, onset)
        preroll = [f for f in self._history if f.stream_time + f.duration > onset - self.pad_s]
        joined = self._join(onset)
        if joined:  # the same question goes on: the ASR hears it whole
            logger.info("turn %d: continues the previous utterance", turn)
            preroll = joined
        self._history = []
        self._last = None
        self._utterance = list(preroll)
        if was_busy and not self.conversation.speaking:
            await self.push(Interrupt("visitor spoke again", turn_id=turn))
            self.conversation.pending_turn = None
        elif was_busy:
            self._barge_in_voiced = self.barge_in_s - self.endpointer.min_speech_s
        await self.push(SpeechStarted(onset, turn_id=turn))
        for f in preroll:
            f.turn_id = turn
            await self.push(f)

    def _join(self, onset: float) -> list[AudioFrame]:
        """The last utterance plus the pause since, if speech resumed soon enough and
        before the visitor heard an answer to it; else nothing."""
        if self._last is None or self.join_s <= 0:
            return []
        frames, last_voice = self._last
        if onset - last_voice > self.join_s or not frames:
            return []
        if self._answer_from is not None and onset - self._answer_from > HEARD_ANSWER_S:
            return []  # the visitor heard an answer: this is a new question
        end = frames[-1].stream_time
        # copies: the originals went down the pipeline under the old turn
        return ([dataclasses.replace(f) for f in frames]
                + [f for f in self._history if f.stream_time > end])

    def _judge_words(self) -> None:
        """Hand the ASR's guess of the words so far, once, to the endpointer."""
        heard, self.conversation.heard_so_far = self.conversation.heard_so_far, None
        if heard is None or heard[0] != self.conversation.turn_id:
            return
        turn, last_voice, text = heard
        complete = self.judge(text)
        logger.debug("turn %d: %r is %s", turn, text,
                     {True: "complete", False: "open", None: "unjudged"}[complete])
        self.endpointer.judge(complete, last_voice)

    async def _maybe_pause(self) -> None:
        ep = self.endpointer
        if (self.speculate_s <= 0 or not ep.speaking or ep.silence_s < self.speculate_s
                or self._paused_at == ep.last_voice_end):
            return
        self._paused_at = ep.last_voice_end
        ep.expect_judgement()  # the ASR's guess of this pause's words is on its way
        await self.push(SpeechPaused(ep.last_voice_end, turn_id=self.conversation.turn_id))

    async def _maybe_barge_in(self, voiced: float) -> None:
        """Count voiced time of speech over the avatar; interrupt once there is enough."""
        if self._barge_in_voiced is None:
            return
        self._barge_in_voiced -= voiced
        if self._barge_in_voiced > 0:
            return
        self._barge_in_voiced = None
        if self.endpointer.speaking and self.conversation.busy:
            logger.info("turn %d: barge-in", self.conversation.turn_id)
            await self.push(Interrupt("barge-in", turn_id=self.conversation.turn_id))

    async def _ended(self, last_voice: float, *, forced: bool) -> None:
        self._barge_in_voiced = None
        turn = self.conversation.turn_id
        self.conversation.pending_turn = turn
        audio = (np.concatenate([f.pcm for f in self._utterance]) if self._utterance
                 else np.zeros(0, dtype=np.int16))
        self._last = (self._utterance, last_voice)
        self._answer_from = None
        self._utterance = []
        if forced:
            self.endpointer.reset()
        logger.info("turn %d: speech ended at %.2f s%s", turn, last_voice,
                    " (cut at max length)" if forced else "")
        await self.push(SpeechEnded(last_voice, self._clock + last_voice, audio, turn_id=turn))

    async def on_interrupt(self, frame: Interrupt) -> None:
        pass  # the VAD makes interrupts; it has nothing of its own to drop
