"""Site-aware ASR: WER on questions full of the site's names, with and without ``asr.bias``.

Twenty questions a visitor of the metro demo asks, rich in its station, line, exit and
place names, spoken by two espeak-ng voices the kiosk never trained or tuned on (en-us,
en-gb), decoded by the kiosk's Whisper tiny.en (int8) unbiased and biased to the pack
(see ``appliance/engines/asr/vocabulary.py``). WER is pooled over the questions (total
word errors / total words) after the kiosk's WER normalisation (plus harbour ->
harbor, a spelling, not a mishearing); ``name_recall`` is the share of the site names
in the questions that come out spelled right.

``python -m appliance.bench.asr_bias`` prints the JSON. The synthesized WAVs are cached
under ``build/asr_bias/``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

from appliance.system.metrics import normalize_words, word_error_rate

QUESTIONS: tuple[str, ...] = (
    "Which exit for the hotels on Queen's Road?",
    "How do I get to Botanic Garden?",
    "When is the next train to Northgate on the Green Line?",
    "Which line goes to Eastbrook?",
    "How much is a single ticket to Hillcrest?",
    "Is Exit D the way to Harbour Street?",
    "Where do I change for Southport?",
    "Does the Red Line stop at Airport Terminal?",
    "How long does it take to get to Lakeside?",
    "I want to go to Chinatown, which platform?",
    "Which exit is closest to Grand Mall?",
    "How do I get to the Medical Centre from Central Square?",
    "Is there a lift at Exit A for Civic Plaza?",
    "What time is the last train to Greenfield?",
    "Take me to Westfield on the Blue Line.",
    "Where is Exit F for Central Park?",
    "How many stops to Riverside Park?",
    "Does the Yellow Line go to Tech Park?",
    "Which way to Harbour Front and the Fish Market?",
    "Is Museum Quarter far from Old Town?",
)

VOICES = ("en-us", "en-gb")
_SPELLING = {"harbour": "harbor"}
CACHE = Path(__file__).resolve().parents[2] / "build" / "asr_bias"


def _norm(text: str) -> str:
    return " ".join(_SPELLING.get(w, w) for w in normalize_words(text))


def spoken(text: str, voice: str, cache: Path = CACHE) -> np.ndarray:
    """``text`` spoken by espeak-ng ``voice``, int16 16 kHz mono (cached WAV)."""
    from hw.audio_util import read_wav, resample, to_mono, write_wav

    key = hashlib.sha1(f"{voice}|{text}".encode()).hexdigest()[:16]
    path = cache / voice / f"{key}.wav"
    if not path.exists():
        if shutil.which("espeak-ng") is None:
            raise RuntimeError("espeak-ng is not installed (`make setup` installs it)")
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = path.with_suffix(".raw.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True,
                       capture_output=True, timeout=60)
        pcm, rate = read_wav(raw)
        write_wav(path, np.asarray(resample(to_mono(pcm), rate, 16_000), np.int16), 16_000)
        raw.unlink()
    pcm, rate = read_wav(path)
    assert rate == 16_000
    return np.asarray(to_mono(pcm), np.int16)


def _names_in(text: str, names: list[str]) -> list[str]:
    padded = f" {_norm(text)} "
    return [n for n in names if f" {n} " in padded]


def score(engine: Any, voice: str, questions: tuple[str, ...],
          names: list[str]) -> dict[str, Any]:
    """Pooled WER, name recall and mean decode time of ``engine`` on ``questions``."""
    errors = words = found = wanted = 0.0
    times: list[float] = []
    misses: list[str] = []
    for q in questions:
        pcm = spoken(q, voice)
        t = time.perf_counter()
        heard = engine.transcribe(pcm).text
        times.append(time.perf_counter() - t)
        n = len(normalize_words(q))
        errors += word_error_rate(_norm(q), _norm(heard)) * n
        words += n
        expect = _names_in(q, names)
        got = _names_in(heard, names)
        wanted += len(expect)
        found += sum(1 for name in expect if name in got)
        if _norm(q) != _norm(heard):
            misses.append(heard)
    return {"wer": round(errors / words, 3),
            "name_recall": round(found / wanted, 3) if wanted else 1.0,
            "decode_ms": round(1000 * float(np.mean(times)), 1),
            "misheard": misses}


def run(quick: bool = False) -> dict[str, Any]:
    """WER on site-vocabulary questions per voice, biased (the kiosk default) and not.

    ``quick`` uses the first 6 questions and only the two configurations the kiosk
    ships; the full run also measures each way of biasing Whisper (``variants``).
    """
    from appliance.engines.asr.vocabulary import SiteVocabulary
    from appliance.engines.asr.whisper import WhisperAsr
    from appliance.sitepack import bundled_sitepack_dir, load_sitepack

    if shutil.which("espeak-ng") is None:
        return {"skipped": "espeak-ng is not installed"}
    questions = QUESTIONS[:6] if quick else QUESTIONS
    vocab = SiteVocabulary.from_pack(load_sitepack(bundled_sitepack_dir()))
    names = sorted({_norm(p) for p in vocab.phrases} - {"red", "blue", "green", "yellow"})
    engine = WhisperAsr(vocabulary=vocab)
    biased = (engine.hotwords, engine.initial_prompt)
    count = engine.count_tokens
    configs: dict[str, tuple[str | None, str | None]] = {"unbiased": (None, None),
                                                         "biased": biased}
    if not quick:
        prompt = vocab.whisper_prompt(count_tokens=count)
        configs.update({
            "hotwords": (vocab.hotwords(count_tokens=count), None),
            "initial_prompt_pack_order": (
                None, vocab.whisper_prompt(count_tokens=count, rare_first=False)),
            "both": (vocab.hotwords(count_tokens=count), prompt),
            "initial_prompt_all_names": (
                None, vocab.whisper_prompt(max_tokens=220, count_tokens=count)),
        })
    engine.transcribe(spoken(questions[0], VOICES[0]))  # warm up: lazy init is not decoding
    table: dict[str, dict[str, Any]] = {}
    detail: dict[str, dict[str, Any]] = {}
    for voice in VOICES:
        for config, (hot, init) in configs.items():
            engine.hotwords, engine.initial_prompt = hot, init
            result = score(engine, voice, questions, names)
            detail.setdefault(voice, {})[config] = result
            if config in ("biased", "unbiased"):
                table.setdefault(voice, {})[config] = result["wer"]
    engine.hotwords, engine.initial_prompt = biased
    return {
        "site_vocab_wer": table,
        "name_recall": {v: {c: r["name_recall"] for c, r in d.items()}
                        for v, d in detail.items()},
        "decode_ms": {v: {c: r["decode_ms"] for c, r in d.items()} for v, d in detail.items()},
        "variants": {v: {c: r["wer"] for c, r in d.items()} for v, d in detail.items()},
        "misheard": {v: {c: r["misheard"] for c, r in d.items()} for v, d in detail.items()},
        "questions": len(questions),
        "prompt_tokens": count(biased[1] or biased[0] or ""),
        "method": ("espeak-ng en-us / en-gb voices, 16 kHz; Whisper tiny.en int8, beam 1; "
                   "biased = asr.bias as the kiosk runs it (initial_prompt: the pack's names, "
                   "rarest first, <= 96 tokens); WER pooled over the questions"),
    }


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(), indent=2))
