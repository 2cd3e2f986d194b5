"""Multi-channel microphone arrays: the interface, the PortAudio device and a sim twin.

An array yields :class:`CapturedBlock` of int16 ``(samples, channels)`` at
``sample_rate`` (16 kHz by default) in ``frame_ms`` blocks, whatever the
device's own rate. :class:`~hw.array_input.ArrayMicrophone` turns it into the
clean mono :class:`~hw.audio_in.AudioInput` the pipeline reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hw.array_geometry import ArrayGeometry
from hw.array_sim import EchoPath, active_power, power, propagate, station_noise
from hw.audio_in import MicrophoneError, find_device
from hw.audio_out import AudioOutput
from hw.audio_util import read_wav, resample, to_mono
from hw.echo import EchoReference

logger = logging.getLogger(__name__)


@dataclass
class CapturedBlock:
    """One block of multi-channel audio: int16 ``(samples, channels)``."""

    pcm: np.ndarray
    sample_rate: int
    stream_time: float
    captured_at: float


class MicArray(ABC):
    """A microphone array with a known geometry."""

    name: str = "mic-array"
    sample_rate: int = 16_000
    frame_ms: int = 20

    def __init__(self, geometry: ArrayGeometry) -> None:
        self.geometry = geometry

    @property
    def channels(self) -> int:
        return self.geometry.count

    @property
    def live(self) -> bool:
        """True when blocks arrive at the pace of capture (see ``AudioInput.live``)."""
        return True

    @property
    def frame_samples(self) -> int:
        return self.sample_rate * self.frame_ms // 1000

    @abstractmethod
    def blocks(self) -> AsyncIterator[CapturedBlock]:
        """Yield blocks until the source ends or :meth:`close` is called.

        Raises :class:`~hw.audio_in.MicrophoneError` when the device is lost.
        """

    def attach_speaker(self, speaker: AudioOutput) -> None:  # noqa: B027 - optional hook
        """Hear ``speaker`` (only a simulated room needs to be told)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device."""


def _load(source: str | Path | np.ndarray | None, source_rate: int, rate: int) -> np.ndarray:
    if source is None:
        return np.zeros(0)
    if isinstance(source, np.ndarray):
        return np.asarray(resample(to_mono(source) if source.ndim > 1 else source,
                                   source_rate, rate), np.float64)
    pcm, file_rate = read_wav(source)
    return np.asarray(resample(to_mono(pcm), file_rate, rate), np.float64)


class SimMicArray(MicArray):
    """A WAV-fed array in a simulated station.

    Mixes the visitor (``visitor``, a WAV or int16 array, from
    ``visitor_bearing_deg``), the kiosk's own played audio as echo (see
    :meth:`attach_speaker`; it comes back after ``echo_delay_ms`` at
    ``echo_gain_db`` from ``echo_bearing_deg``) and station noise at
    ``snr_db`` relative to the visitor's speech (None = silent station).
    ``fail_after_s`` simulates an unplugged microphone.
    """

    name = "sim-mic-array"

    @property
    def live(self) -> bool:
        return self.realtime

    def __init__(self, geometry: ArrayGeometry, visitor: str | Path | np.ndarray | None = None,
                 *, source_rate: int = 16_000, sample_rate: int = 16_000,
                 visitor_bearing_deg: float = 0.0, snr_db: float | None = None,
                 noise: str | Path | np.ndarray | None = None, noise_level_dbfs: float = -45.0,
                 echo_delay_ms: float = 60.0, echo_gain_db: float = -6.0,
                 echo_bearing_deg: float = 0.0, realtime: bool = True, lead_s: float = 0.3,
                 tail_s: float = 1.0, endless: bool = False,
                 fail_after_s: float | None = None, seed: int = 7) -> None:
        super().__init__(geometry)
        self.sample_rate = sample_rate
        self.realtime = realtime
        self.endless = endless
        self.fail_after_s = fail_after_s
        rate = sample_rate
        speech = _load(visitor, source_rate, rate)
        lead, tail = int(lead_s * rate), int(tail_s * rate)
        self.visitor = np.zeros((lead + len(speech) + tail, geometry.count))
        if len(speech):
            self.visitor[lead: lead + len(speech)] = propagate(speech, geometry,
                                                               visitor_bearing_deg, rate)
        loop_len = max(len(self.visitor), 10 * rate)
        if noise is not None:
            base = _load(noise, source_rate, rate)
            base = np.repeat(base[:, None], geometry.count, axis=1)
        else:
            base = station_noise(loop_len, geometry, rate, seed)
        if snr_db is not None and len(speech):
            target = active_power(self.visitor, rate) / 10 ** (snr_db / 10)
        else:
            target = (32768 * 10 ** (noise_level_dbfs / 20)) ** 2
        self.noise = base * np.sqrt(target / (power(base) + 1e-12)) if len(base) else base
        self.echo_input = EchoReference(rate, max_s=5.0)
        """Speaker listener feeding what the kiosk plays into the simulated room."""
        self._echo = EchoPath(geometry, rate, delay_ms=echo_delay_ms, gain_db=echo_gain_db,
                              bearing_deg=echo_bearing_deg)
        self._closed = False

    def attach_speaker(self, speaker: AudioOutput) -> None:
        """What ``speaker`` plays echoes back into this simulated room."""
        if self.echo_input.on_played not in speaker.listeners:
            speaker.listeners.append(self.echo_input.on_played)

    def _block(self, index: int, n: int) -> np.ndarray:
        voice = self.visitor[index: index + n]
        if len(voice) < n:
            voice = np.pad(voice, ((0, n - len(voice)), (0, 0)))
        noise = np.zeros_like(voice)
        if len(self.noise):
            idx = (index + np.arange(n)) % len(self.noise)
            noise = self.noise[idx]
        echo = self._echo.process(self.echo_input.take(n).astype(np.float64))
        total = voice + echo + noise
        return np.clip(np.round(total), -32768, 32767).astype(np.int16)

    async def blocks(self) -> AsyncIterator[CapturedBlock]:
        n = self.frame_samples
        start = time.monotonic()
        index = 0
        while not self._closed:
            stream_time = index / self.sample_rate
            if index >= len(self.visitor) and not self.endless:
                return
            if self.fail_after_s is not None and stream_time >= self.fail_after_s:
                raise MicrophoneError(f"{self.name}: device unplugged (simulated)")
            if self.realtime:
                delay = start + stream_time + n / self.sample_rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                captured_at = start + stream_time
            else:
                await asyncio.sleep(0)
                captured_at = time.monotonic() - n / self.sample_rate
            block = self._block(index, n)
            index += n
            yield CapturedBlock(block, self.sample_rate, stream_time, captured_at)

    async def close(self) -> None:
        self._closed = True


class PyAudioMicArray(MicArray):
    """A multi-channel capture device through PortAudio, chosen by (part of) its name.

    ``channel_map`` picks which device channels are the array's mics, in
    geometry order (e.g. the ReSpeaker 6-channel firmware puts the four raw
    mics on channels 1..4). Blocks are resampled to ``sample_rate`` with a
    streaming resampler. PortAudio's thread hands blocks to the loop with
    ``call_soon_threadsafe`` into a bounded queue (oldest dropped, counted in
    ``dropped``).
    """

    def __init__(self, geometry: ArrayGeometry, device: str = "", *,
                 sample_rate: int = 16_000, device_rate: int | None = None,
                 device_channels: int | None = None, channel_map: Sequence[int] | None = None,
                 queue_size: int = 100, stall_timeout_s: float = 2.0) -> None:
        super().__init__(geometry)
        try:
            import pyaudio
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise MicrophoneError("PyAudio is not installed") from exc
        self.sample_rate = sample_rate
        self.stall_timeout_s = stall_timeout_s
        self._pa = pyaudio.PyAudio()
        try:
            info = find_device(self._pa, device, want_input=True)
        except MicrophoneError:
            self._pa.terminate()
            raise
        self.name = str(info["name"])
        self._index = int(info["index"])
        self.device_rate = device_rate or int(info["defaultSampleRate"])
        self.channel_map = list(channel_map) if channel_map else list(range(geometry.count))
        self.device_channels = device_channels or max(self.channel_map) + 1
        if self.device_channels > int(info["maxInputChannels"]):
            self._pa.terminate()
            raise MicrophoneError(f"{self.name} has {info['maxInputChannels']} input channels; "
                                  f"the array needs {self.device_channels}")
        self._queue: asyncio.Queue[tuple[bytes, float]] = asyncio.Queue(queue_size)
        self.dropped = 0
        self._stream: Any = None
        self._resampler: Any = None

    def _open(self, loop: asyncio.AbstractEventLoop) -> None:
        import pyaudio
        import soxr

        if self.device_rate != self.sample_rate:
            self._resampler = soxr.ResampleStream(self.device_rate, self.sample_rate,
                                                  len(self.channel_map), dtype="float32")

        def callback(data: bytes | None, frames: int, info: Any, status: int) -> tuple[None, int]:
            loop.call_soon_threadsafe(self._offer, data or b"", time.monotonic())
            return None, pyaudio.paContinue

        try:
            self._stream = self._pa.open(
                format=pyaudio.paInt16, channels=self.device_channels, rate=self.device_rate,
                input=True, input_device_index=self._index,
                frames_per_buffer=self.device_rate * self.frame_ms // 1000,
                stream_callback=callback)
        except OSError as exc:
            raise MicrophoneError(f"cannot open {self.name}: {exc}") from exc

    def _offer(self, data: bytes, ts: float) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait((data, ts))

    async def blocks(self) -> AsyncIterator[CapturedBlock]:
        self._open(asyncio.get_running_loop())
        position = 0
        while self._stream is not None:
            try:
                data, ts = await asyncio.wait_for(self._queue.get(), self.stall_timeout_s)
            except asyncio.TimeoutError as exc:
                raise MicrophoneError(f"{self.name} stopped delivering audio") from exc
            raw = np.frombuffer(data, dtype="<i2").reshape(-1, self.device_channels)
            pcm = raw[:, self.channel_map]
            if self._resampler is not None:
                pcm = self._resampler.resample_chunk(pcm.astype(np.float32))
                pcm = np.clip(np.round(pcm), -32768, 32767).astype(np.int16)
            start = ts - len(raw) / self.device_rate
            yield CapturedBlock(np.ascontiguousarray(pcm), self.sample_rate,
                                position / self.sample_rate, start)
            position += len(pcm)

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.stop_stream()
            self._stream.close()
            self._stream = None
        self._pa.terminate()
