"""Speaker output: the interface, a WAV-writing sim twin and the PyAudio device.

A speaker plays *streams*: one per reply. It knows how much of the current
stream was actually heard (``position``), can drop what is still queued at
once (``clear``), and tells every listener what it played (the echo
reference for echo cancellation and for "the avatar never interrupts itself").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hw.audio_util import resample, write_wav

logger = logging.getLogger(__name__)

PlayedListener = Callable[[np.ndarray, int, float], None]
"""Called with (int16 mono block, rate, monotonic time it left the speaker)."""


class SpeakerError(RuntimeError):
    code = "speaker-lost"


@dataclass
class PlaybackLog:
    """Timestamps of one stream, for latency and sync measurements."""

    started_at: float | None = None
    ended_at: float | None = None
    samples_played: int = 0
    interrupted: bool = False
    marks: list[tuple[float, float]] = field(default_factory=list)  # (stream s, monotonic)


class AudioOutput(ABC):
    """Plays int16 mono audio at ``sample_rate`` in short blocks."""

    name: str = "speaker"
    sample_rate: int = 22_050
    block_ms: int = 20

    def __init__(self) -> None:
        self.listeners: list[PlayedListener] = []
        self.log = PlaybackLog()
        self.volume = 1.0

    @property
    def position(self) -> float:
        """Seconds of the current stream that have been played."""
        return self.log.samples_played / self.sample_rate

    def begin_stream(self) -> None:
        """Start a new reply: positions count from zero again."""
        self.log = PlaybackLog()

    @abstractmethod
    async def play(self, pcm: np.ndarray, rate: int) -> None:
        """Queue audio; returns once it is queued (blocks while the buffer is full)."""

    @abstractmethod
    def clear(self) -> float:
        """Drop everything not yet played; return the stream position reached."""

    @abstractmethod
    async def drain(self) -> None:
        """Wait until everything queued has been played."""

    @property
    @abstractmethod
    def playing(self) -> bool:
        """True while queued audio remains."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device."""

    def _emit(self, block: np.ndarray) -> None:
        now = time.monotonic()
        if self.log.started_at is None:
            self.log.started_at = now
        self.log.samples_played += len(block)
        for listener in self.listeners:
            listener(block, self.sample_rate, now)

    def _prepare(self, pcm: np.ndarray, rate: int) -> np.ndarray:
        audio = resample(np.asarray(pcm), rate, self.sample_rate)
        if self.volume != 1.0:
            audio = np.clip(audio.astype(np.float32) * self.volume, -32768, 32767)
        return np.asarray(audio, dtype=np.int16)


class SimSpeaker(AudioOutput):
    """Plays into memory at real time (or instantly) and writes WAVs.

    Everything actually played is kept in ``recording`` (and, with
    ``out_dir``, written to ``<out_dir>/played-<n>.wav`` per stream), so tests
    and the demo can check what a visitor would have heard.
    """

    name = "sim-speaker"

    def __init__(self, sample_rate: int = 22_050, *, realtime: bool = True,
                 out_dir: str | Path | None = None, buffer_s: float = 30.0) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.realtime = realtime
        self.out_dir = Path(out_dir) if out_dir else None
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._max_samples = int(buffer_s * sample_rate)
        self._space = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.recording: list[np.ndarray] = []
        self._stream_blocks: list[np.ndarray] = []
        self.streams_written: list[Path] = []

    @property
    def playing(self) -> bool:
        return self._pending_samples > 0

    def begin_stream(self) -> None:
        self._flush_stream()
        super().begin_stream()

    async def play(self, pcm: np.ndarray, rate: int) -> None:
        audio = self._prepare(pcm, rate)
        while self._pending_samples + len(audio) > self._max_samples and self._pending:
            self._space.clear()
            await self._space.wait()
        self._pending.append(audio)
        self._pending_samples += len(audio)
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sim-speaker")

    async def _run(self) -> None:
        block = self.sample_rate * self.block_ms // 1000
        next_due = time.monotonic()
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                next_due = time.monotonic()
                continue
            head = self._pending[0]
            out, rest = head[:block], head[block:]
            if len(rest):
                self._pending[0] = rest
            else:
                self._pending.pop(0)
            self._pending_samples -= len(out)
            self._space.set()
            self._emit(out)
            self.recording.append(out)
            self._stream_blocks.append(out)
            if self.realtime:
                next_due += len(out) / self.sample_rate
                await asyncio.sleep(max(0.0, next_due - time.monotonic()))
            else:
                await asyncio.sleep(0)

    def clear(self) -> float:
        self._pending.clear()
        self._pending_samples = 0
        self.log.interrupted = True
        self._space.set()
        self._idle.set()
        return self.position

    async def drain(self) -> None:
        await self._idle.wait()
        self.log.ended_at = time.monotonic()

    def _flush_stream(self) -> None:
        if self.out_dir is not None and self._stream_blocks:
            path = self.out_dir / f"played-{len(self.streams_written) + 1}.wav"
            self.streams_written.append(write_wav(path, np.concatenate(self._stream_blocks),
                                                  self.sample_rate))
        self._stream_blocks = []

    async def close(self) -> None:
        self._flush_stream()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class PyAudioSpeaker(AudioOutput):
    """A playback device through PortAudio, fed by a callback thread."""

    def __init__(self, device: str = "", *, sample_rate: int = 22_050) -> None:
        super().__init__()
        import pyaudio

        from hw.audio_in import MicrophoneError, find_device, open_pyaudio

        try:
            self._pa = open_pyaudio()
        except MicrophoneError as exc:
            raise SpeakerError(str(exc)) from exc
        try:
            info = find_device(self._pa, device, want_input=False)
        except MicrophoneError as exc:
            raise SpeakerError(str(exc)) from exc
        self.name = str(info["name"])
        self.sample_rate = sample_rate
        self._buffer = np.zeros(0, dtype=np.int16)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        block = sample_rate * self.block_ms // 1000

        def callback(_in: Any, frames: int, _info: Any, _status: int) -> tuple[bytes, int]:
            out = self._buffer[:frames]
            self._buffer = self._buffer[frames:]
            if len(out) and self._loop is not None:
                self._loop.call_soon_threadsafe(self._played, out.copy())
            out = np.pad(out, (0, frames - len(out)))
            return out.astype("<i2").tobytes(), pyaudio.paContinue

        try:
            self._stream = self._pa.open(format=pyaudio.paInt16, channels=1, rate=sample_rate,
                                         output=True, output_device_index=int(info["index"]),
                                         frames_per_buffer=block, stream_callback=callback)
        except OSError as exc:
            raise SpeakerError(f"cannot open {self.name}: {exc}") from exc

    def _played(self, block: np.ndarray) -> None:
        self._emit(block)
        if not len(self._buffer):
            self._idle.set()

    @property
    def playing(self) -> bool:
        return len(self._buffer) > 0

    async def play(self, pcm: np.ndarray, rate: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._buffer = np.concatenate([self._buffer, self._prepare(pcm, rate)])
        self._idle.clear()

    def clear(self) -> float:
        self._buffer = np.zeros(0, dtype=np.int16)
        self.log.interrupted = True
        self._idle.set()
        return self.position

    async def drain(self) -> None:
        await self._idle.wait()
        self.log.ended_at = time.monotonic()

    async def close(self) -> None:
        self._stream.stop_stream()
        self._stream.close()
        self._pa.terminate()
