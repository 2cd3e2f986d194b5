"""``make bench`` area tts: the first chunk of the pack's long answers, cut as the kiosk
cuts them, against the sentence said whole (real Piper voice, real Whisper)."""

from __future__ import annotations

import pytest

from appliance.bench import tts
from appliance.engines.tts.sentences import FIRST_MAX_CHARS, split_sentences

pytestmark = pytest.mark.slow


def test_the_pack_has_long_first_sentences_and_each_is_cut_shorter() -> None:
    lines = tts.first_sentences(FIRST_MAX_CHARS)
    assert len(lines) >= 20
    shorter = [len(split_sentences(line)[0]) < len(line) for line in lines]
    assert sum(shorter) >= 0.8 * len(lines)


def test_the_bench_reports_the_cut_beside_the_whole_sentence() -> None:
    result = tts.run(quick=True)
    assert result["sentences"] == 8
    first = result["first_audio_ms"]
    assert first["first_chunk_as_cut"]["n"] == first["first_sentence_whole"]["n"] == 8
    # audio, not time: the pause at a cut is no longer than the voice's own comma pause
    assert 0 < result["pause_at_cut_ms"]["p50"] <= result["voice_comma_pause_ms"]["p50"]
    # no words lost at the cut: a dropped or garbled chunk costs a third of a sentence's
    # words; on 8 sentences (~110 words) Whisper's hearing of the same text varies by a few
    # words from run to run (one full run: whole 6.1 %, cut 12.9 %; alone: 8.9 / 8.2 %)
    wer = result["whisper_wer"]
    assert wer["cut"] <= wer["whole"] + 0.1, wer
