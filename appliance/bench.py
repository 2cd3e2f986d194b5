"""``make bench``: measure the kiosk and write ``build/bench.json``.

Each area is one nested object. The speech loop is measured here; every other
area lives in a module ``appliance/bench_<area>.py`` with ``run(quick) -> dict``
and is merged in. Figures already in the file are kept unless re-measured.

    python -m appliance.bench                 # everything
    python -m appliance.bench --only speech_loop --quick
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import json
import logging
import os
import pkgutil
import platform
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import appliance
from appliance.app import Kiosk, TurnRecord
from appliance.engines.factory import Engines, create_engines, warm_up
from appliance.metrics import percentiles, word_error_rate
from appliance.settings import Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker
from hw.audio_util import read_wav, resample, to_mono, write_wav

logger = logging.getLogger(__name__)

QUESTIONS = [
    "Where is the nearest toilet?",
    "How much is a ticket to the airport?",
    "When is the next train to Central Station?",
    "Is line two running normally today?",
    "Which exit do I take for the city hospital?",
    "Is there an elevator to the street?",
    "I lost my bag on the train. What should I do?",
    "What time does the station close tonight?",
    "How do I top up my travel card?",
    "Can I get a refund for my ticket?",
    "Is there free wifi in the station?",
    "How do I get to the museum?",
    "Hello there!",
    "Thank you very much.",
    "I need to speak to a member of staff.",
    "Where can I buy a day pass?",
    "How long does it take to get to the airport?",
    "Which platform for trains going north?",
    "Can you say that again please?",
    "Goodbye and have a nice day.",
]


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": cpu, "cores": os.cpu_count(), "kiosk": appliance.__version__}


def question_wavs(engines: Engines, cache: Path, count: int) -> list[tuple[str, Path]]:
    """The bench questions spoken by the TTS voice, made once and kept in ``cache``."""
    out = []
    for i, text in enumerate(QUESTIONS[:count]):
        path = cache / f"q{i:02d}.wav"
        if not path.exists():
            pcm = np.concatenate([c.pcm for c in engines.tts.synthesize(text)])
            write_wav(path, resample(pcm, engines.tts.sample_rate, 16000), 16000)
        out.append((text, path))
    return out


def espeak_question_wavs(cache: Path, count: int,
                         voice: str = "en-us") -> list[tuple[str, Path]]:
    """The bench questions in an espeak-ng voice the kiosk never trained on or speaks
    with: 0.3 s of silence before each and 1.5 s after, made once and kept in ``cache``."""
    from hw.array_sim import spoken

    out = []
    for i, text in enumerate(QUESTIONS[:count]):
        path = cache / f"q{i:02d}.wav"
        if not path.exists():
            speech = spoken(text, voice)
            pcm = np.concatenate([np.zeros(4800), speech, np.zeros(24000)])
            write_wav(path, np.round(pcm).astype(np.int16), 16000)
        out.append((text, path))
    return out


PAUSED_QUESTIONS = [
    ("I need to get to", "the city museum."),
    ("How much is a ticket to", "the airport?"),
    ("Where can I buy a", "day pass?"),
    ("Is there a lift and", "a toilet on platform two?"),
]
"""Questions with a mid-sentence pause (``PAUSE_S``): each must stay one turn."""
PAUSE_S = 0.5


def paused_question_wavs(cache: Path, voice: str = "en-us") -> list[tuple[str, Path]]:
    """:data:`PAUSED_QUESTIONS` in an espeak-ng voice, the halves ``PAUSE_S`` apart."""
    from hw.array_sim import spoken

    out = []
    for i, (head, tail) in enumerate(PAUSED_QUESTIONS):
        path = cache / f"p{i:02d}.wav"
        if not path.exists():
            pcm = np.concatenate([np.zeros(4800), spoken(head, voice),
                                  np.zeros(int(PAUSE_S * 16000)), spoken(tail, voice),
                                  np.zeros(24000)])
            write_wav(path, np.round(pcm).astype(np.int16), 16000)
        out.append((f"{head} {tail}", path))
    return out


async def _turns(settings: Settings, engines: Engines, wav: Path) -> list[TurnRecord]:
    """The turns one question became, each that heard words (more than one: it was split,
    even where the later part joined the first and interrupted its answer)."""
    pcm, rate = read_wav(wav)
    mic = SimMicrophone(resample(to_mono(pcm), rate, 16000), realtime=True, tail_s=1.0)
    # the speaker need not take real time: first-audio time is when the first block leaves
    speaker = SimSpeaker(engines.tts.sample_rate, realtime=False)
    recorder = await Kiosk(settings, engines, mic, speaker).run(timeout=60)
    return [t for t in sorted(recorder.turns.values(), key=lambda t: t.turn_id)
            if t.transcript or t.reply]


def _loop_figures(settings: Settings, engines: Engines,
                  questions: list[tuple[str, Path]]) -> dict[str, Any]:
    """Latency per stage, real-time factors, WER and split questions over ``questions``."""
    stages: dict[str, list[float]] = {}
    asr_rtf, tts_rtf, wers = [], [], []
    missed = split = 0
    for text, wav in questions:
        turns = asyncio.run(_turns(settings, engines, wav))
        answered = [t for t in turns if t.reply]
        split += len(turns) > 1
        if not answered:
            missed += 1
            continue
        turn = answered[-1]
        for stage, ms in turn.latency_ms.items():
            stages.setdefault(stage, []).append(ms)
        # a split question that joined is heard whole by its last turn; one that did not,
        # only across its turns: whichever reads better is what the kiosk understood
        wers.append(min(word_error_rate(text, turn.transcript),
                        word_error_rate(text, " ".join(t.transcript for t in turns))))
        if turn.utterance_s:
            asr_rtf.append(turn.latency_ms.get("asr_decode", 0) / 1000 / turn.utterance_s)
        audio_s = len(turn.reply_pcm) / turn.sample_rate
        if audio_s:
            tts_rtf.append(turn.latency_ms.get("tts", 0) / 1000 / audio_s)
    e2e = stages.pop("end_of_speech_to_first_audio", [])
    return {
        "questions": len(questions),
        "unanswered": missed,
        "split_questions": split,
        "end_of_speech_to_first_audio_ms": percentiles(e2e),
        "stage_latency_ms": {k: percentiles(v) for k, v in sorted(stages.items())},
        "tts_time_to_first_audio_ms": percentiles(stages.get("tts_first_chunk", [])),
        "asr_real_time_factor": percentiles(asr_rtf, 3),
        "tts_real_time_factor": percentiles(tts_rtf, 3),
        "asr_word_error_rate_mean": round(float(np.mean(wers)), 3) if wers else None,
    }


def bench_speech_loop(quick: bool = False) -> dict[str, Any]:
    """The speech loop on the questions in the kiosk's own Piper voice, and under
    ``unseen_voice`` the same questions in an espeak-ng voice (where it is installed)."""
    settings = Settings()
    engines = create_engines(settings)
    warm_up(engines)
    count = 5 if quick else 20
    result = _loop_figures(settings, engines,
                           question_wavs(engines, Path("build/bench-questions"), count))
    if shutil.which("espeak-ng"):
        unseen = espeak_question_wavs(Path("build/bench-questions-espeak"), count)
        result["unseen_voice"] = {"voice": "espeak-ng en-us",
                                  **_loop_figures(settings, engines, unseen)}
        paused = paused_question_wavs(Path("build/bench-questions-espeak"))
        result["unseen_voice_paused"] = {"voice": "espeak-ng en-us", "pause_s": PAUSE_S,
                                         **_loop_figures(settings, engines, paused)}
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.update({
        "endpoint_silence_ms": settings.vad.min_silence_ms,
        "asr_window_s": settings.asr.window_s if settings.asr.engine == "whisper" else None,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "engines": engines.describe(),
    })
    return result


def area_modules() -> dict[str, str]:
    """``bench_<area>`` modules shipped in the package: area -> module name."""
    found = {}
    for mod in pkgutil.iter_modules(appliance.__path__):
        if mod.name.startswith("bench_"):
            found[mod.name.removeprefix("bench_")] = f"appliance.{mod.name}"
    return found


def merge_figures(old: Any, new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``, recursively: a figure this run did not measure (another
    machine's GPU backend, an area's optional part) stays in the file."""
    if not isinstance(old, dict):
        return new
    merged = dict(old)
    merged.pop("error", None)
    merged.pop("error_at", None)
    for key, value in new.items():
        merged[key] = merge_figures(old.get(key), value) if isinstance(value, dict) else value
    return merged


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _write(out: Path, data: dict[str, Any]) -> None:
    """Atomically replace ``out`` with ``data`` plus the machine and the date."""
    data["machine"] = _machine()
    data["date"] = dt.date.today().isoformat()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/bench.json", help="JSON file to update")
    parser.add_argument("--only", action="append", help="measure only this area (repeatable)")
    parser.add_argument("--quick", action="store_true", help="small samples (smoke test)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    out = Path(args.out)
    data: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    areas: dict[str, Any] = {"speech_loop": bench_speech_loop}
    for area, module in area_modules().items():
        areas[area] = module
    failed = 0
    for area, runner in areas.items():
        if args.only and area not in args.only:
            continue
        print(f">> bench {area}...", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            fn = runner if callable(runner) else importlib.import_module(runner).run
            result = fn(quick=args.quick)
        except Exception as exc:  # one broken area must not lose the others' figures
            logger.exception("bench %s failed", area)
            failed += 1
            # keep the last good figures of this area, and say why they were not renewed
            result = dict(data.get(area) or {})
            result["error"] = repr(exc)[:500]
            result["error_at"] = _now()
            data[area] = result
            _write(out, data)
            continue
        result["measured_at"] = _now()
        result["bench_seconds"] = round(time.monotonic() - started, 1)
        result["quick"] = bool(args.quick)
        print(json.dumps({area: result}, indent=1), file=sys.stderr)
        data[area] = merge_figures(data.get(area), result)
        _write(out, data)  # after every area: a crash later loses nothing measured
    print(f"wrote {out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
