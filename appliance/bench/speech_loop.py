"""The ``speech_loop`` bench area: the whole kiosk on spoken questions.

Per-stage latency, real-time factors, word error rate and split questions, in the
kiosk's own Piper voice and, where espeak-ng is installed, in a voice it never trained on
(with and without a pause mid-question). ``question_wavs`` is shared with the runtime bench.
"""

from __future__ import annotations

import asyncio
import resource
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from appliance.bench.latency import Entry, play_one, speech_end_s
from appliance.engines.factory import Engines, create_engines, warm_up
from appliance.settings import Settings
from appliance.system.metrics import percentiles, word_error_rate
from hw.audio_util import read_wav, resample, to_mono, write_wav

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


def _loop_figures(settings: Settings, engines: Engines,
                  questions: list[tuple[str, Path]]) -> dict[str, Any]:
    """Latency per stage, real-time factors, WER and split questions over ``questions``."""
    stages: dict[str, list[float]] = {}
    asr_rtf, tts_rtf, wers, true_end = [], [], [], []
    missed = split = wasted = 0
    for text, wav in questions:
        pcm, rate = read_wav(wav)
        audio = resample(to_mono(pcm), rate, 16000)
        played = asyncio.run(play_one(settings, engines, audio,
                                      Entry(wav.name, speech_end_s(audio))))
        if played.end_of_speech_to_first_audio_ms is not None:
            true_end.append(played.end_of_speech_to_first_audio_ms)
        wasted += played.speculation.get("wasted", 0)
        turns = played.records
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
        # from where speech really ends in the WAV (kiosk bench latency), not the VAD's zero
        "true_end_of_speech_to_first_audio_ms": percentiles(true_end),
        "stage_latency_ms": {k: percentiles(v) for k, v in sorted(stages.items())},
        "tts_time_to_first_audio_ms": percentiles(stages.get("tts_first_chunk", [])),
        "asr_real_time_factor": percentiles(asr_rtf, 3),
        "tts_real_time_factor": percentiles(tts_rtf, 3),
        "asr_word_error_rate_mean": round(float(np.mean(wers)), 3) if wers else None,
        # decodes started at a pause the visitor then talked through: CPU spent for nothing
        "speculative_decodes_wasted_per_question": round(wasted / len(questions), 2)
        if questions else None,
    }


def run(quick: bool = False) -> dict[str, Any]:
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
