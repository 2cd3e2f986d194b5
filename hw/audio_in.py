"""Microphone input: the interface, a WAV-fed sim twin and the PyAudio device.

Every implementation yields :class:`CapturedAudio` of int16 mono at
``sample_rate`` (16 kHz by default) in ``frame_ms`` chunks, whatever the
device's own rate and channel count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hw.audio_util import read_wav, resample, to_mono
from hw.health import DeviceHealth

logger = logging.getLogger(__name__)


@dataclass
class CapturedAudio:
    """One chunk of microphone audio.

    ``stream_time`` is the position of its first sample since capture started
    (s); ``captured_at`` is the ``time.monotonic()`` of its first sample.
    """

    pcm: np.ndarray
    sample_rate: int
    stream_time: float
    captured_at: float


def has_sound_card() -> bool:
    """True when ALSA lists at least one card (PortAudio is pointless otherwise)."""
    try:
        cards = Path("/proc/asound/cards").read_text()
    except OSError:
        return False
    return "no soundcards" not in cards and bool(cards.strip())


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence ALSA/JACK chatter that PortAudio prints while probing devices."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def open_pyaudio() -> Any:
    """A PyAudio instance, quietly (raises MicrophoneError without PyAudio)."""
    try:
        import pyaudio
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise MicrophoneError("PyAudio is not installed") from exc
    with quiet_stderr():
        return pyaudio.PyAudio()


class MicrophoneError(RuntimeError):
    """The microphone cannot be opened or was lost (code ``mic-lost``)."""

    code = "mic-lost"


class AudioInput(ABC):
    """A source of visitor audio."""

    name: str = "microphone"
    sample_rate: int = 16_000
    frame_ms: int = 20

    @property
    def live(self) -> bool:
        """True when audio arrives at the pace it is spoken (a device, a paced sim);
        False for a file read as fast as it can be, which must never be dropped."""
        return True

    @property
    def frame_samples(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    @property
    def health(self) -> DeviceHealth:
        """Whether the microphone works (``mic-lost`` when it was unplugged)."""
        health: DeviceHealth | None = getattr(self, "_health", None)
        if health is None:
            health = DeviceHealth("microphone")
            self._health = health
        return health

    @abstractmethod
    def frames(self) -> AsyncIterator[CapturedAudio]:
        """Yield audio chunks until the source ends or :meth:`close` is called."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device."""


class SimMicrophone(AudioInput):
    """Plays a WAV (or an array) as if a visitor spoke into the microphone.

    Any 16-bit WAV works: it is mixed to mono and resampled. With ``realtime``
    the frames arrive at the pace of real capture, so latency measured
    downstream is honest; without it they arrive as fast as they are consumed.
    ``lead_s``/``tail_s`` of silence surround the audio so the endpointer can
    see the speech begin and end; ``endless`` keeps yielding silence afterwards.
    """

    name = "sim-microphone"

    @property
    def live(self) -> bool:
        return self.realtime

    def __init__(
        self,
        source: str | Path | np.ndarray | None = None,
        *,
        source_rate: int = 16_000,
        sample_rate: int = 16_000,
        realtime: bool = True,
        lead_s: float = 0.3,
        tail_s: float = 1.0,
        endless: bool = False,
    ) -> None:
        self.sample_rate = sample_rate
        self.realtime = realtime
        self.endless = endless
        if source is None:
            audio = np.zeros(0, dtype=np.int16)
        elif isinstance(source, np.ndarray):
            audio = resample(to_mono(source), source_rate, sample_rate)
        else:
            pcm, rate = read_wav(source)
            audio = resample(to_mono(pcm), rate, sample_rate)
        lead = np.zeros(int(lead_s * sample_rate), dtype=np.int16)
        tail = np.zeros(int(tail_s * sample_rate), dtype=np.int16)
        self.audio = np.concatenate([lead, np.asarray(audio, dtype=np.int16), tail])
        self._closed = False

    async def frames(self) -> AsyncIterator[CapturedAudio]:
        n = self.frame_samples
        start = time.monotonic()
        index = 0
        while not self._closed:
            if index < len(self.audio):
                chunk = self.audio[index : index + n]
                if len(chunk) < n:
                    chunk = np.pad(chunk, (0, n - len(chunk)))
            elif self.endless:
                chunk = np.zeros(n, dtype=np.int16)
            else:
                return
            stream_time = index / self.sample_rate
            if self.realtime:
                # a real microphone delivers a frame once its last sample exists
                due = start + stream_time + n / self.sample_rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                captured_at = start + stream_time
            else:
                await asyncio.sleep(0)
                captured_at = time.monotonic() - n / self.sample_rate
            index += n
            yield CapturedAudio(chunk, self.sample_rate, stream_time, captured_at)

    async def close(self) -> None:
        self._closed = True


class PyAudioMicrophone(AudioInput):
    """A capture device through PortAudio, chosen by (part of) its name.

    PortAudio calls back on its own thread; chunks enter the asyncio loop with
    ``call_soon_threadsafe`` into a bounded queue (oldest audio is dropped if
    the pipeline stalls, and counted in ``dropped``).
    """

    def __init__(self, device: str = "", *, sample_rate: int = 16_000, queue_size: int = 100,
                 channels: int | None = None, device_rate: int | None = None):
        self.sample_rate = sample_rate
        self._pa = open_pyaudio()
        self._info = find_device(self._pa, device, want_input=True)
        self.name = str(self._info["name"])
        self.device_rate = device_rate or int(self._info["defaultSampleRate"])
        self.channels = channels or min(int(self._info["maxInputChannels"]), 8)
        self._queue: asyncio.Queue[tuple[bytes, float]] = asyncio.Queue(queue_size)
        self.dropped = 0
        self._stream: Any = None

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        import pyaudio

        per_buffer = self.device_rate * self.frame_ms // 1000

        def callback(data: bytes | None, frames: int, info: Any, status: int) -> tuple[None, int]:
            loop.call_soon_threadsafe(self._offer, data or b"", time.monotonic())
            return None, pyaudio.paContinue

        try:
            self._stream = self._pa.open(
                format=pyaudio.paInt16,
                channels=self.channels,
                rate=self.device_rate,
                input=True,
                input_device_index=int(self._info["index"]),
                frames_per_buffer=per_buffer,
                stream_callback=callback,
            )
        except OSError as exc:
            self.health.fail(MicrophoneError.code, f"cannot open {self.name}: {exc}")
            raise MicrophoneError(f"cannot open {self.name}: {exc}") from exc
        self.health.ok()

    def _offer(self, data: bytes, ts: float) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait((data, ts))

    async def frames(self) -> AsyncIterator[CapturedAudio]:
        self._open(asyncio.get_running_loop())
        position = 0
        while self._stream is not None:
            try:
                data, ts = await asyncio.wait_for(self._queue.get(), timeout=2.0)
            except asyncio.TimeoutError as exc:
                self.health.fail(MicrophoneError.code, f"{self.name} stopped delivering audio")
                raise MicrophoneError(f"{self.name} stopped delivering audio") from exc
            pcm = np.frombuffer(data, dtype="<i2").reshape(-1, self.channels)
            mono = resample(to_mono(pcm), self.device_rate, self.sample_rate).astype(np.int16)
            start = ts - len(pcm) / self.device_rate
            yield CapturedAudio(mono, self.sample_rate, position / self.sample_rate, start)
            position += len(mono)

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.stop_stream()
            self._stream.close()
            self._stream = None
        self._pa.terminate()


def find_device(pa: Any, name: str, *, want_input: bool) -> dict[str, Any]:
    """The PortAudio device whose name contains ``name`` (default device if empty)."""
    key = "maxInputChannels" if want_input else "maxOutputChannels"
    if not name:
        try:
            info = (
                pa.get_default_input_device_info()
                if want_input
                else pa.get_default_output_device_info()
            )
            return dict(info)
        except OSError as exc:
            raise MicrophoneError("no default audio device") from exc
    for i in range(pa.get_device_count()):
        info = pa.get_device_info_by_index(i)
        if name.lower() in str(info["name"]).lower() and int(info[key]) > 0:
            return dict(info)
    raise MicrophoneError(f"no audio device named like {name!r}")
