"""Whisper's encoder window: the utterance plus padding, not always 30 s."""

from __future__ import annotations

import numpy as np

from appliance.engines.asr.whisper import encoder_frames


def _padded(content: int, total: int = 3000, batch: bool = False) -> np.ndarray:
    """Mel features as faster-whisper hands them over: content, then exact zeros."""
    rng = np.random.default_rng(content)
    feats = np.zeros((80, total), np.float32)
    feats[:, :content] = rng.uniform(-1.0, 1.0, (80, content)).astype(np.float32)
    return feats[None] if batch else feats


def test_a_short_question_gets_the_window_not_30_s() -> None:
    assert encoder_frames(_padded(220), 1500) == 1500


def test_a_long_utterance_keeps_all_of_itself_and_a_second_of_padding() -> None:
    assert encoder_frames(_padded(2100, batch=True), 1500) == 2200


def test_never_more_than_whispers_own_30_s() -> None:
    assert encoder_frames(_padded(2990), 1500) == 3000


def test_a_window_of_30_s_is_whispers_own() -> None:
    assert encoder_frames(_padded(220), 3000) == 3000


def test_all_padding_is_the_window() -> None:
    assert encoder_frames(_padded(0), 1500) == 1500
