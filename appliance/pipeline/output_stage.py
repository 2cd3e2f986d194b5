"""Output stage: plays reply audio on the speaker and hands visemes to the avatar."""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.frames import (
    EndOfStream,
    Frame,
    Interrupt,
    PlaybackStopped,
    ReplyDone,
    SpeechAudio,
    SpeechEnded,
    StageTiming,
    VisemeCue,
    Visemes,
)
from appliance.pipeline.conversation import Conversation
from appliance.pipeline.processor import Processor
from hw.audio_out import AudioOutput

logger = logging.getLogger(__name__)

VisemeListener = Callable[[int, list[VisemeCue]], None]


def heard_text(chunks: list[SpeechAudio], position: float) -> str:
    """The whole words of a reply that were played by ``position`` seconds."""
    words: list[str] = []
    for chunk in chunks:
        if chunk.offset + chunk.duration <= position:
            words.extend(chunk.text.split())
            continue
        if chunk.offset >= position:
            break
        # word ends: the phoneme before each word gap, and the chunk's last phoneme
        ends = [a.end for a, b in zip(chunk.phonemes, chunk.phonemes[1:]) if b.phoneme == " "]
        if chunk.phonemes:
            ends.append(chunk.phonemes[-1].end)
        text_words = chunk.text.split()
        done = sum(1 for e in ends[: len(text_words)] if e <= position)
        words.extend(text_words[:done])
        break
    return " ".join(words)


class OutputProcessor(Processor):
    """The last stage: speaker playback, viseme timeline, and what was heard."""

    name = "output"

    def __init__(self, speaker: AudioOutput, conversation: Conversation) -> None:
        super().__init__()
        self.speaker = speaker
        self.conversation = conversation
        self.viseme_listeners: list[VisemeListener] = []
        self._chunks: list[SpeechAudio] = []
        self._turn = 0
        self._last_voice: dict[int, float] = {}

    async def process(self, frame: Frame) -> None:
        if isinstance(frame, SpeechEnded):
            self._last_voice[frame.turn_id] = frame.last_voice_ts
        elif isinstance(frame, Visemes):
            for listener in self.viseme_listeners:
                listener(frame.turn_id, frame.cues)
        elif isinstance(frame, SpeechAudio):
            await self._play(frame)
        elif isinstance(frame, ReplyDone):
            await self._done(frame.turn_id)
        elif isinstance(frame, EndOfStream):
            await self.speaker.drain()
        await self.push(frame)

    async def _play(self, frame: SpeechAudio) -> None:
        if frame.turn_id != self._turn:
            self._turn = frame.turn_id
            self._chunks = []
            self.speaker.begin_stream()
            self.conversation.speaking = True
        self._chunks.append(frame)
        await self.speaker.play(frame.pcm, frame.sample_rate)

    async def _done(self, turn_id: int) -> None:
        if turn_id != self._turn or not self._chunks:
            self.conversation.finish(turn_id)
            return
        await self.speaker.drain()
        await self._stopped(turn_id, interrupted=False)

    async def _stopped(self, turn_id: int, *, interrupted: bool) -> None:
        position = self.speaker.position
        await self._report_first_audio(turn_id)
        heard = heard_text(self._chunks, position)
        self._chunks = []
        self.conversation.finish(turn_id)
        logger.info("turn %d: playback %s at %.2f s", turn_id,
                    "interrupted" if interrupted else "finished", position)
        stopped = PlaybackStopped(position, interrupted, heard, turn_id=turn_id)
        await self.push(stopped)
        await self.push(stopped, upstream=True)

    async def _report_first_audio(self, turn_id: int) -> None:
        first = self.speaker.log.started_at
        last_voice = self._last_voice.pop(turn_id, None)
        if first is not None and last_voice is not None:
            ms = (first - last_voice) * 1000.0
            await self.push(StageTiming("end_of_speech_to_first_audio", ms, turn_id=turn_id))

    async def on_interrupt(self, frame: Interrupt) -> None:
        if self._chunks and self._turn < frame.turn_id:
            self.speaker.clear()
            for listener in self.viseme_listeners:
                listener(self._turn, [])  # pending mouth shapes are void
            await self._stopped(self._turn, interrupted=True)
