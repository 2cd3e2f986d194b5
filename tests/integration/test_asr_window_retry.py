"""Whisper on a short encoder window redoes an unsure decode on its full 30 s window."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from appliance.engines.asr.whisper import WhisperAsr

pytestmark = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng")


@pytest.fixture(scope="module")
def question() -> np.ndarray:
    from hw.array_sim import spoken

    speech = spoken("Where is the nearest toilet?", "en-us")
    return np.round(np.concatenate([np.zeros(4800), speech, np.zeros(8000)])).astype(np.int16)


def test_an_unsure_decode_is_redone_on_the_full_window_and_the_short_one_stays(
        question: np.ndarray) -> None:
    asr = WhisperAsr(window_s=15, retry_below=1.01)  # every decode counts as unsure
    short = asr._model.window_frames
    first = asr.decode(question)
    assert asr.retries == 1 and "toilet" in first.text.lower()
    assert asr._model.window_frames == short == 1500  # the next decode is short again
    stream = asr.stream()  # a guess at a pause is often the final result: the same policy
    stream.accept(question)
    assert stream.peek() is not None and asr.retries == 2


def test_a_sure_decode_or_the_full_window_never_retries(question: np.ndarray) -> None:
    never = WhisperAsr(window_s=15, retry_below=0.0)
    full = WhisperAsr(window_s=30, retry_below=1.01)
    for asr in (never, full):
        assert "toilet" in asr.decode(question).text.lower()
        assert asr.retries == 0


def test_language_id_and_the_transcription_encode_the_utterance_once() -> None:
    # the encoder is most of a decode: multilingual Whisper used to run it twice
    from hw.array_sim import spoken

    speech = spoken("¿Dónde están los baños?", "es")
    pcm = np.round(np.concatenate([np.zeros(4800), speech, np.zeros(8000)])).astype(np.int16)
    asr = WhisperAsr(languages=["en", "es"])
    before = asr._model.encodes
    result = asr.decode(pcm)
    assert result.language == "es" and "están" in result.text.lower()
    assert asr._model.encodes - before == 1
    # the same words again are a new utterance to the kiosk, but the same window: no
    # re-encode; a different window (15 s, not Whisper's own 30) is encoded anew
    asr.decode(pcm)
    assert asr._model.encodes - before == 1
    asr._model.window_frames = 1500
    asr.decode(pcm)
    assert asr._model.encodes - before == 2
