"""Latency from the visitor's true end of speech, on any folder of WAVs.

``kiosk bench latency --wavs DIR`` reads ``DIR/manifest.json``, a list of
``{"file": "q01.wav", "speech_end_s": 2.31}`` (where speech ends in the file), plays each
WAV in real time through the whole loop (models warmed up first) and reports, per file,
``end_of_speech_to_first_audio_ms`` measured from that true end (not from the VAD's last
voiced window, the kiosk's own zero), the transcript and how many turns the file became,
then p50/p95 over the files.

A bad manifest is one error and nothing runs; a bad file (missing, not a WAV, an end past
its length, no speech heard) is an error on that file and the others still run.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from appliance.app import Kiosk, TurnRecord
from appliance.engines.factory import Engines
from appliance.errors import KioskError
from appliance.settings import Settings
from appliance.system.metrics import percentiles
from hw.audio_in import CapturedAudio, SimMicrophone
from hw.audio_out import SimSpeaker
from hw.audio_util import read_wav, resample, to_mono

MANIFEST = "manifest.json"
LEAD_S = 0.3
TAIL_S = 1.0
"""Silence played before and after each file, so the endpointer sees speech begin and end."""


class BenchInputError(KioskError):
    """The bench's input cannot be used (a missing or malformed manifest)."""

    code = "bench-bad-input"


@dataclass(frozen=True)
class Entry:
    """One manifest line: a WAV and where speech ends in it."""

    file: str
    speech_end_s: float


@dataclass
class FileResult:
    """What one WAV gave: the true-end latency, the transcript, the turns, or an error."""

    file: str
    speech_end_s: float
    end_of_speech_to_first_audio_ms: float | None = None
    transcript: str = ""
    turns: int = 0
    error: dict[str, str] | None = None
    records: list[TurnRecord] = field(default_factory=list)
    """The turns that heard words (for the speech-loop bench's other figures)."""
    speculation: dict[str, int] = field(default_factory=dict)
    """Decodes the ASR made at a pause: ``used`` as the turn's transcript, ``wasted``
    because the visitor went on (each a full decode's CPU for nothing)."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "speech_end_s": self.speech_end_s,
                               "end_of_speech_to_first_audio_ms":
                                   self.end_of_speech_to_first_audio_ms,
                               "transcript": self.transcript, "turns": self.turns}
        if self.error:
            out["error"] = self.error
        return out


def read_manifest(folder: Path) -> list[Entry]:
    """The entries of ``folder/manifest.json``; :class:`BenchInputError` when it is unusable."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BenchInputError(f"{folder} is not a folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BenchInputError(f"{path} not found: write a list of "
                              '{"file": ..., "speech_end_s": ...}') from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BenchInputError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise BenchInputError(f"{path}: expected a non-empty list of "
                              '{"file": ..., "speech_end_s": ...}')
    entries = []
    for i, row in enumerate(data):
        end = row.get("speech_end_s") if isinstance(row, dict) else None
        name = row.get("file") if isinstance(row, dict) else None
        if not isinstance(name, str) or not name or isinstance(end, bool) \
                or not isinstance(end, int | float) or not math.isfinite(end) or end < 0:
            raise BenchInputError(f"{path}: entry {i} needs \"file\" (a name) and "
                                  f"\"speech_end_s\" (seconds >= 0): {row!r}")
        entries.append(Entry(name, float(end)))
    return entries


class _TimedMicrophone(SimMicrophone):
    """The sim microphone that remembers when its stream time zero was, on the clock."""

    started_at: float | None = None

    async def frames(self) -> AsyncIterator[CapturedAudio]:
        async for chunk in super().frames():
            if self.started_at is None:
                self.started_at = chunk.captured_at - chunk.stream_time
            yield chunk


class _StreamStarts:
    """When each reply stream's first block left the speaker (monotonic seconds): the
    speaker stamps a stream's first block as its ``log.started_at``."""

    def __init__(self, speaker: SimSpeaker) -> None:
        self.starts: list[float] = []
        self._speaker = speaker
        speaker.listeners.append(self._on_block)

    def _on_block(self, block: np.ndarray, rate: int, now: float) -> None:
        if self._speaker.log.started_at == now:
            self.starts.append(now)


def load_audio(path: Path, entry: Entry) -> np.ndarray:
    """The file as 16 kHz mono; :class:`KioskError` with a per-file code when unusable."""
    if not path.is_file():
        raise KioskError(f"{path} not found", code="bench-missing-wav")
    try:
        pcm, rate = read_wav(path)
    except Exception as exc:  # wave/np errors: anything that is not a 16-bit PCM WAV
        raise KioskError(f"{path.name} is not a 16-bit PCM WAV: {exc}",
                         code="bench-bad-wav") from exc
    audio = resample(to_mono(pcm), rate, 16_000)
    if entry.speech_end_s > len(audio) / 16_000 + 1e-3:
        raise KioskError(f"speech_end_s {entry.speech_end_s} is past the end of "
                         f"{path.name} ({len(audio) / 16_000:.2f} s)", code="bench-bad-speech-end")
    return audio


async def play_one(settings: Settings, engines: Engines, audio: np.ndarray,
                   entry: Entry) -> FileResult:
    """Play ``audio`` in real time through a fresh kiosk; time its reply from the true end."""
    mic = _TimedMicrophone(audio, realtime=True, lead_s=LEAD_S, tail_s=TAIL_S)
    # the speaker need not take real time: first audio is when the first block leaves
    speaker = SimSpeaker(engines.tts.sample_rate, realtime=False)
    streams = _StreamStarts(speaker)
    kiosk = Kiosk(settings, engines, mic, speaker)
    recorder = await kiosk.run(timeout=60 + len(audio) / 16e3)
    turns = [t for t in sorted(recorder.turns.values(), key=lambda t: t.turn_id)
             if t.transcript or t.reply]
    result = FileResult(entry.file, entry.speech_end_s, turns=len(turns), records=turns,
                        transcript=" ".join(t.transcript for t in turns if t.transcript),
                        speculation=_speculation(kiosk))
    if not turns:
        result.error = {"code": "bench-no-speech", "message": "no speech was heard in the file"}
        return result
    true_end = (mic.started_at or 0.0) + LEAD_S + entry.speech_end_s
    after = [s for s in streams.starts if s >= true_end - 0.05]
    if not after:
        result.error = {"code": "bench-no-reply",
                        "message": "no reply started after the end of speech"}
        return result
    result.end_of_speech_to_first_audio_ms = round((after[0] - true_end) * 1000.0, 1)
    return result


def _speculation(kiosk: Kiosk) -> dict[str, int]:
    """The ASR stage's count of decodes made at pauses (empty if it keeps none)."""
    for stage in kiosk.pipeline.processors:
        counts = getattr(stage, "speculation", None)
        if isinstance(counts, dict):
            return dict(counts)
    return {}


def run_files(folder: Path, settings: Settings, engines: Engines,
              progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every manifest entry of ``folder`` through the loop; the per-file list and p50/p95."""
    entries = read_manifest(folder)
    results: list[FileResult] = []
    for i, entry in enumerate(entries, 1):
        try:
            audio = load_audio(folder / entry.file, entry)
        except KioskError as exc:
            results.append(FileResult(entry.file, entry.speech_end_s,
                                      error={"code": exc.code, "message": str(exc)}))
        else:
            results.append(asyncio.run(play_one(settings, engines, audio, entry)))
        if progress is not None:
            done = results[-1]
            shown = (f"{done.end_of_speech_to_first_audio_ms:.0f} ms"
                     if done.end_of_speech_to_first_audio_ms is not None
                     else f"error {done.error['code'] if done.error else '?'}")
            progress(f"[{i}/{len(entries)}] {entry.file}: {shown}")
    return summarize(results)


def summarize(results: list[FileResult]) -> dict[str, Any]:
    """The report: per file, then p50/p95 over the files that were answered."""
    timed = [r.end_of_speech_to_first_audio_ms for r in results
             if r.end_of_speech_to_first_audio_ms is not None]
    return {"files": [r.as_dict() for r in results],
            "answered": len(timed), "failed": sum(r.error is not None for r in results),
            "split_files": sum(r.turns > 1 for r in results),
            "end_of_speech_to_first_audio_ms": percentiles(timed)}


def speech_end_s(audio: np.ndarray, rate: int = 16_000, floor_dbfs: float = -40.0) -> float:
    """Where speech ends in a clean recording: the end of its last 10 ms window above
    ``floor_dbfs`` (for synthesized questions, whose true end is not written down)."""
    hop = rate // 100
    frames = len(audio) // hop
    if not frames:
        return 0.0
    x = np.asarray(audio[: frames * hop], dtype=np.float64).reshape(frames, hop) / 32768.0
    level = 10 * np.log10(np.mean(x * x, axis=1) + 1e-12)
    loud = np.flatnonzero(level > floor_dbfs)
    return float((loud[-1] + 1) * hop / rate) if len(loud) else 0.0
