"""TTS first audio: the first chunk of each real answer, cut as the kiosk cuts it.

Every FAQ answer of the demo pack whose first sentence is longer than the first chunk
may be (:func:`~appliance.engines.tts.sentences.split_sentences`) is synthesized by
the kiosk's Piper voice twice: its first sentence whole (the baseline: what the visitor
would wait for without the cut) and as the kiosk says it, first chunk alone. Reported:

- the time to the first chunk's audio, both ways (``first_audio_ms``);
- the pause at the cut (the head's trailing silence plus the next chunk's lead-in)
  beside the voice's own pause at a comma, the seam a listener could hear;
- intelligibility: the kiosk's Whisper hears the whole sentence both ways, WER pooled.
  Whisper tiny is a noisy judge, so only a clear rise would count against the cut.

``python -m appliance.bench.tts`` prints the JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from appliance.engines.tts.base import SILENCE_FLOOR
from appliance.system.metrics import percentiles, word_error_rate

COMMA_LINES = ("Opens in the morning, and closes at night.",
               "Top up at any ticket machine, or in the app.",
               "The toilets are on the concourse, next to Exit B.")


def first_sentences(max_chars: int) -> list[str]:
    """First sentences (over ``max_chars``) of the demo pack's FAQ answers, once each."""
    from appliance.engines.tts.sentences import split_sentences
    from appliance.sitepack import bundled_sitepack_dir
    from appliance.sitepack.loader import load_sitepack

    out: list[str] = []
    for entry in load_sitepack(bundled_sitepack_dir()).faq:
        first = split_sentences(entry.answer, first_max_chars=10_000)[0]
        if len(first) > max_chars and "{" not in first and first not in out:
            out.append(first)
    return out


def _silence(pcm: np.ndarray) -> tuple[float, float, float]:
    """(lead, tail, longest inner gap) of silence, in samples."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= SILENCE_FLOOR)
    if not len(loud):
        return float(len(pcm)), 0.0, 0.0
    inner = float(np.diff(loud).max()) if len(loud) > 1 else 0.0
    return float(loud[0]), float(len(pcm) - 1 - loud[-1]), inner


def run(quick: bool = False, hear: Callable[[np.ndarray, int], str] | None = None
        ) -> dict[str, Any]:
    """Measure the first chunk of the demo pack's long first sentences."""
    from appliance.engines.tts.piper import PiperTts
    from appliance.engines.tts.sentences import FIRST_MAX_CHARS

    tts = PiperTts()
    hear = hear or _whisper()
    lines = first_sentences(FIRST_MAX_CHARS)[: 8 if quick else None]
    list(tts.synthesize("Good morning."))  # warm
    whole_ms: list[float] = []
    first_ms: list[float] = []
    seams: list[float] = []
    errors = {"whole": 0.0, "cut": 0.0}
    words = 0
    for line in lines:
        started = time.perf_counter()
        whole = _whole(tts, line)
        whole_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        chunks = tts.synthesize(line)
        head = next(chunks)
        first_ms.append((time.perf_counter() - started) * 1000)
        rest = list(chunks)
        if rest:
            seams.append((_silence(head.pcm)[1] + _silence(rest[0].pcm)[0]) / tts.sample_rate)
        n = len(line.split())
        words += n
        errors["whole"] += n * word_error_rate(line, hear(whole, tts.sample_rate))
        cut = np.concatenate([head.pcm, *(c.pcm for c in rest)])
        errors["cut"] += n * word_error_rate(line, hear(cut, tts.sample_rate))
    commas = [_silence(_whole(tts, line))[2] / tts.sample_rate for line in COMMA_LINES]
    return {
        "voice": "piper en_US-joe-medium",
        "sentences": len(lines),
        "first_chunk_max_chars": FIRST_MAX_CHARS,
        "first_audio_ms": {"first_sentence_whole": percentiles(whole_ms),
                           "first_chunk_as_cut": percentiles(first_ms)},
        "pause_at_cut_ms": percentiles([s * 1000 for s in seams]),
        "voice_comma_pause_ms": percentiles([c * 1000 for c in commas]),
        "whisper_wer": {k: round(v / max(words, 1), 3) for k, v in errors.items()},
    }


def _whole(tts: Any, line: str) -> np.ndarray:
    """``line`` said whole by Piper's own API (no cut), as int16."""
    from piper import SynthesisConfig

    config = SynthesisConfig(normalize_audio=True)
    return np.concatenate([c.audio_int16_array for c in tts.voice.synthesize(line, config)])


def _whisper() -> Callable[[np.ndarray, int], str]:
    """The kiosk's own ASR as ``(pcm, rate) -> text``."""
    from appliance.engines.asr.whisper import WhisperAsr
    from hw.audio_util import resample

    engine = WhisperAsr()

    def hear(pcm: np.ndarray, rate: int) -> str:
        audio = np.asarray(resample(pcm, rate, engine.sample_rate), dtype=np.int16)
        return engine.transcribe(audio).text

    return hear


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(), indent=2))
