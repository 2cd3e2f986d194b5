"""The real engines with their real models: Piper speaks, Whisper and Silero listen.

These load models from the installed packages (a few seconds each) and share
them per module.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from appliance.engines.asr.whisper import WhisperAsr
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.tts.piper import PiperTts
from appliance.engines.vad.silero import SileroVad
from appliance.system.metrics import word_error_rate
from hw.audio_util import resample

pytestmark = pytest.mark.slow

SENTENCES = [
    "Where is the nearest toilet?",
    "How much is a ticket to the airport?",
    "When does the next train to the city centre leave?",
    "I lost my wallet on the platform this morning.",
    "Is there an elevator to the street?",
]


@pytest.fixture(scope="module")
def tts() -> PiperTts:
    return PiperTts()


@pytest.fixture(scope="module")
def asr() -> WhisperAsr:
    return WhisperAsr()


def speak16k(tts: PiperTts, text: str) -> np.ndarray:
    pcm = np.concatenate([c.pcm for c in tts.synthesize(text)])
    return np.asarray(resample(pcm, tts.sample_rate, 16000), dtype=np.int16)


def test_tts_to_asr_round_trip_recovers_the_sentences(tts: PiperTts, asr: WhisperAsr) -> None:
    rates = []
    for sentence in SENTENCES:
        heard = asr.transcribe(speak16k(tts, sentence)).text
        rates.append(word_error_rate(sentence, heard))
        print(f"WER {rates[-1]:.2f}: {sentence!r} -> {heard!r}")
    mean = sum(rates) / len(rates)
    print(f"mean WER {mean:.3f}")
    assert mean <= 0.15
    assert max(rates) <= 0.4


def test_whisper_hears_nothing_in_silence(asr: WhisperAsr) -> None:
    quiet = (np.random.default_rng(1).standard_normal(32000) * 20).astype(np.int16)
    assert asr.transcribe(quiet).text == ""


def test_tts_streams_one_chunk_per_sentence_with_alignments(tts: PiperTts) -> None:
    chunks = list(
        tts.synthesize("Good morning. The next train leaves in four minutes from platform two.")
    )
    assert len(chunks) == 2
    for c in chunks:
        assert c.sample_rate == 22050 and len(c.pcm) > 0
        assert c.phonemes, "Piper gave no alignment"
        assert c.phonemes[-1][2] == pytest.approx(c.duration, abs=0.02)


def _silence_around(pcm: np.ndarray, rate: int, floor: int = 300) -> tuple[float, float]:
    """Seconds of silence before the first and after the last sample over ``floor``."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= floor)
    return loud[0] / rate, (len(pcm) - 1 - loud[-1]) / rate


def test_a_first_sentence_cut_before_a_phrase_joins_with_a_short_pause(tts: PiperTts) -> None:
    text = "Central Square opens at 5:15 in the morning and closes at 00:45."
    head, rest = list(tts.synthesize(text))
    assert head.text == "Central Square opens at 5:15 in the morning"
    assert rest.text == "and closes at 00:45."
    seam = _silence_around(head.pcm, head.sample_rate)[1] + _silence_around(
        rest.pcm, rest.sample_rate)[0]
    # the voice's own pause where the text has a comma: the cut must not be longer
    (whole,) = list(tts.synthesize("Opens in the morning, and closes at night."))
    loud = np.abs(whole.pcm.astype(np.int32)) >= 300
    quiet_runs = np.diff(np.flatnonzero(loud)) / whole.sample_rate
    comma_pause = float(quiet_runs.max())
    print(f"seam {seam * 1000:.0f} ms, the voice's comma pause {comma_pause * 1000:.0f} ms")
    assert 0.05 <= seam <= comma_pause
    assert head.phonemes[-1][2] == pytest.approx(head.duration, abs=0.02)


def test_visemes_cover_the_audio_and_follow_the_alignment(tts: PiperTts) -> None:
    (c,) = list(tts.synthesize("Please mind the platform gap."))
    cues = PhonemeLipSync().visemes(c)
    assert cues[0].start == 0.0 and cues[-1].end == pytest.approx(c.duration)
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(cues))
    boundaries = {round(s, 4) for _, s, _ in c.phonemes} | {round(e, 4) for *_, e in c.phonemes}
    # every cue starts on a phoneme boundary of Piper's alignment
    assert all(round(cue.start, 4) in boundaries for cue in cues)
    # the bilabials of "Please mind the platform" close the lips
    assert sum(cue.viseme == "PP" for cue in cues) >= 3


def test_silero_finds_speech_and_not_silence(tts: PiperTts) -> None:
    vad = SileroVad()
    speech = speak16k(tts, "Where is the way out to the street?").astype(np.float32) / 32768
    audio = np.concatenate([np.zeros(16000, np.float32), speech, np.zeros(16000, np.float32)])
    probs = [vad.probability(audio[i : i + 512]) for i in range(0, len(audio) - 511, 512)]
    lead, tail = probs[:25], probs[-25:]
    middle = probs[31 + 2 : 31 + len(speech) // 512 - 2]
    assert max(lead) < 0.2 and max(tail) < 0.2
    assert np.mean(np.array(middle) > 0.5) > 0.75
