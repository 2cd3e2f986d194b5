"""The ``languages`` bench area: the whole kiosk per language of the site pack.

With ``asr.multilingual`` on (the multilingual Whisper base and its language ID), each
language's questions are played in real time through a fresh kiosk, as in the speech-loop
bench: per language the language ID accuracy, the ASR's word error rate, the intent
accuracy on what the ASR heard (and, for comparison, on the written question) and the time
from the true end of speech to the first reply audio. The voices are espeak-ng's
(``es``, ``en-us``): an espeak-ng round trip, a self-consistency check, not a human voice.
The questions are phrased unlike the pack's examples (the intent head never saw them), but
no real visitor said them.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from appliance.bench.latency import Entry, play_one, speech_end_s
from appliance.engines.factory import create_engines, warm_up
from appliance.settings import Settings
from appliance.system.metrics import percentiles, word_error_rate
from hw.audio_util import read_wav, write_wav

LABEL = "espeak-ng round trip, a self-consistency check, not a human voice"

QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "es": [
        ("¿Me puede decir dónde hay un baño?", "find_toilet"),
        ("¿Por dónde salgo a la calle?", "find_exit"),
        ("Se me ha perdido la cartera en el andén.", "lost_and_found"),
        ("¿A qué hora pasa el siguiente tren?", "next_train"),
        ("¿Qué precio tiene un billete para el aeropuerto?", "fare_inquiry"),
        ("Quiero hablar con alguien de la estación.", "help_human"),
        ("¿Hay algún ascensor por aquí?", "find_elevator"),
        ("¿Qué tren tengo que coger para ir al aeropuerto?", "route_planning"),
        ("Hola, buenas tardes.", "greeting"),
        ("Muchas gracias por todo.", "thanks"),
    ],
    "en": [
        ("Can you tell me where there is a toilet?", "find_toilet"),
        ("Which way do I go out to the street?", "find_exit"),
        ("I have lost my wallet on the platform.", "lost_and_found"),
        ("What time is the next train?", "next_train"),
        ("How much is a ticket to the airport?", "fare_inquiry"),
        ("I want to talk to someone from the station.", "help_human"),
        ("Is there a lift around here?", "find_elevator"),
        ("Which train do I take to get to the airport?", "route_planning"),
        ("Hello, good afternoon.", "greeting"),
        ("Thank you very much for everything.", "thanks"),
    ],
}
VOICES = {"es": "es", "en": "en-us"}
"""espeak-ng voice per language."""


def question_wavs(language: str, cache: Path, count: int) -> list[tuple[str, str, Path]]:
    """(text, intent, wav) of ``language``'s questions in its espeak-ng voice (made once)."""
    from hw.array_sim import spoken

    out = []
    for i, (text, intent) in enumerate(QUESTIONS[language][:count]):
        path = cache / f"{language}-q{i:02d}.wav"
        if not path.exists():
            pcm = np.concatenate([np.zeros(4800), spoken(text, VOICES[language]),
                                  np.zeros(24000)])
            write_wav(path, np.round(pcm).astype(np.int16), 16000)
        out.append((text, intent, path))
    return out


def _figures(settings: Settings, engines: Any, language: str,
             questions: list[tuple[str, str, Path]]) -> dict[str, Any]:
    wers: list[float] = []
    lid = intents = unanswered = 0
    # the NLU alone on the written question: how much of the loss is the ASR's
    on_text = sum(engines.nlu.understand(text).intent == intent for text, intent, _ in questions)
    first_audio: list[float] = []
    heard: list[dict[str, str]] = []
    for text, intent, wav in questions:
        pcm, _rate = read_wav(wav)
        audio = np.asarray(pcm, dtype=np.float64)
        played = asyncio.run(play_one(settings, engines, audio,
                                      Entry(wav.name, speech_end_s(audio))))
        turns = [t for t in played.records if t.understanding is not None]
        if played.end_of_speech_to_first_audio_ms is not None:
            first_audio.append(played.end_of_speech_to_first_audio_ms)
        if not turns:
            unanswered += 1
            wers.append(1.0)
            continue
        turn = turns[-1]
        assert turn.understanding is not None
        wers.append(word_error_rate(text, played.transcript))
        lid += turn.understanding.language == language
        intents += turn.understanding.intent == intent
        heard.append({"said": text, "heard": played.transcript,
                      "language": turn.understanding.language,
                      "intent": turn.understanding.intent, "want": intent})
    n = len(questions)
    return {
        "voice": f"espeak-ng {VOICES[language]}",
        "questions": n,
        "unanswered": unanswered,
        "language_id_accuracy": round(lid / n, 3) if n else None,
        "asr_word_error_rate_mean": round(float(np.mean(wers)), 3) if wers else None,
        "intent_accuracy": round(intents / n, 3) if n else None,
        "intent_accuracy_on_text": round(on_text / n, 3) if n else None,
        "true_end_of_speech_to_first_audio_ms": percentiles(first_audio),
        "heard": heard,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Per language of the bench (es, en): the multilingual loop's figures."""
    if shutil.which("espeak-ng") is None:
        return {"skipped": "espeak-ng is not installed"}
    base = Settings()
    settings = replace(base, asr=replace(base.asr, multilingual=True))
    engines = create_engines(settings)
    warm_up(engines)
    count = 4 if quick else len(QUESTIONS["es"])
    cache = Path("build/bench-questions-languages")
    result: dict[str, Any] = {"label": LABEL, "asr": "whisper-base multilingual, language ID "
                              "among the pack's languages", "engines": engines.describe()}
    for language in QUESTIONS:
        result[language] = _figures(settings, engines, language,
                                    question_wavs(language, cache, count))
    return result
