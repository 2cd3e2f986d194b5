"""The array as the pipeline's microphone: clean mono, the speaker's bearing, health.

:class:`ArrayMicrophone` is an :class:`~hw.audio_in.AudioInput`: it reads a
:class:`~hw.mic_array.MicArray`, re-blocks to exact 20 ms frames, cancels the
kiosk's own voice using what the speaker played (``attach_speaker``),
beamforms toward the visitor and yields 16 kHz mono :class:`CapturedAudio`.
A lost device never ends the stream: health turns FAILED (``mic-lost``),
silence flows at real-time pace so the pipeline's clocks keep running, and
the array is reopened every ``retry_s`` through ``reopen``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

import numpy as np

from hw.audio_in import AudioInput, CapturedAudio, MicrophoneError
from hw.audio_out import AudioOutput
from hw.echo import AcousticFrontEnd, EchoReference
from hw.mic_array import MicArray

logger = logging.getLogger(__name__)


class ArrayMicrophone(AudioInput):
    """Microphone array + acoustic front end behind the plain microphone interface."""

    def __init__(self, array: MicArray, frontend: AcousticFrontEnd | None = None, *,
                 reopen: Callable[[], MicArray] | None = None, retry_s: float = 2.0) -> None:
        self.array = array
        self.name = f"{array.name} (array)"
        self.sample_rate = array.sample_rate
        self.frame_ms = array.frame_ms
        self.frontend = frontend or AcousticFrontEnd(array.geometry, array.sample_rate)
        self.reference = EchoReference(array.sample_rate)
        self.reopen = reopen
        self.retry_s = retry_s
        self.health.device = "microphone"
        self._closed = False
        self._speaker: AudioOutput | None = None

    @property
    def live(self) -> bool:
        return self.array.live

    @property
    def bearing_deg(self) -> float | None:
        """Bearing of the last voiced speech (see :mod:`hw.array_geometry`), None before."""
        return self.frontend.bearing_deg

    def attach_speaker(self, speaker: AudioOutput) -> None:
        """Use everything ``speaker`` plays as the echo reference."""
        if self._speaker is not None and self.reference.on_played in self._speaker.listeners:
            self._speaker.listeners.remove(self.reference.on_played)
        self.array.attach_speaker(speaker)  # a simulated room hears the speaker first
        speaker.listeners.append(self.reference.on_played)
        self._speaker = speaker

    async def frames(self) -> AsyncIterator[CapturedAudio]:
        n = self.frame_samples
        position = 0
        while not self._closed:
            pending = np.zeros((0, self.array.channels), np.int16)
            try:
                async for block in self.array.blocks():
                    if not self.health.healthy:
                        self.health.ok()
                    pending = np.concatenate([pending, block.pcm])
                    while len(pending) >= n:
                        chunk, pending = pending[:n], pending[n:]
                        mono = self.frontend.process(chunk, self.reference.take(n))
                        at = block.captured_at + (position / self.sample_rate - block.stream_time)
                        yield CapturedAudio(mono, self.sample_rate, position / self.sample_rate,
                                            at)
                        position += n
                        if self._closed:
                            return
                return  # the source ended (a WAV ran out)
            except MicrophoneError as exc:
                self.health.fail(MicrophoneError.code, str(exc))
                logger.error("microphone lost: %s", exc)
            async for frame in self._silence_until_reopened(position):
                yield frame
                position += n

    async def _silence_until_reopened(self, position: int) -> AsyncIterator[CapturedAudio]:
        """Silence at real time while the device is away; returns once it is back."""
        n = self.frame_samples
        next_try = time.monotonic() + self.retry_s
        while not self._closed:
            await asyncio.sleep(n / self.sample_rate)
            self.reference.take(n)  # the echo reference keeps pace with time
            at = time.monotonic() - n / self.sample_rate
            yield CapturedAudio(np.zeros(n, np.int16), self.sample_rate,
                                position / self.sample_rate, at)
            position += n
            if self.reopen is None or time.monotonic() < next_try:
                continue
            next_try = time.monotonic() + self.retry_s
            try:
                await self.array.close()
                self.array = self.reopen()
                if self._speaker is not None:
                    self.array.attach_speaker(self._speaker)
                logger.info("microphone %s reopened", self.array.name)
                return
            except MicrophoneError as exc:
                self.health.fail(MicrophoneError.code, str(exc))

    async def close(self) -> None:
        self._closed = True
        if self._speaker is not None and self.reference.on_played in self._speaker.listeners:
            self._speaker.listeners.remove(self.reference.on_played)
        await self.array.close()
