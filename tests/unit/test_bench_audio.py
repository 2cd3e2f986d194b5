"""The audio benchmark's WER plumbing, with a stand-in ASR the lead replaces."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.bench.audio import wer_table, word_error_rate
from hw.array_sim import VISITOR_LINE
from hw.echo import webrtc_available


def test_word_error_rate() -> None:
    assert word_error_rate("Where is platform two?", "where is platform two") == 0.0
    assert word_error_rate("where is platform two", "where platform to") == pytest.approx(0.5)
    assert word_error_rate("a b", "") == 1.0


@pytest.mark.skipif(not webrtc_available(), reason="pywebrtc-audio not installed")
def test_wer_table_feeds_the_asr_clean_raw_and_processed_audio() -> None:
    heard: list[np.ndarray] = []

    def asr(pcm: np.ndarray) -> str:
        heard.append(pcm)
        return VISITOR_LINE if len(heard) == 1 else "where ticket"

    table = wer_table(asr, snrs=(10.0,), lines=(VISITOR_LINE,))
    assert table["clean"] == 0.0
    assert set(table["snr_10db"]) == {"raw", "frontend"}
    assert set(table["barge_in_snr_10db"]) == {"raw", "frontend"}
    assert len(heard) == 5  # clean + (raw, front end) x (overlapped, barge-in)
    assert all(p.dtype == np.int16 and p.ndim == 1 and len(p) > 16_000 for p in heard)


def test_barge_in_scene_silences_the_echo_after_the_interrupt() -> None:
    from appliance.bench.audio import BARGE_IN_STOP_S, RATE, barge_in_scene
    from hw.array_geometry import ArrayGeometry

    geo = ArrayGeometry.circular(4, 0.032)
    full, span = barge_in_scene(geo, 30.0, 10.0)
    cut, span2 = barge_in_scene(geo, 30.0, 10.0, stop_after_s=BARGE_IN_STOP_S)
    assert span == span2
    stop = span.start + int(BARGE_IN_STOP_S * RATE)
    tail = slice(stop + RATE // 5, span.stop)  # past the room's echo tail
    assert np.abs(full.echo[tail]).max() > 100.0
    assert np.abs(cut.echo[tail]).max() < 1.0
    before = slice(span.start - RATE, span.start)
    assert np.allclose(full.echo[before], cut.echo[before])
