"""A fake TTS for tests: a tone per sentence, 60 ms per character, fake phonemes."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from appliance.engines.tts.base import Prosody, TtsChunk, TtsEngine
from appliance.engines.tts.sentences import split_sentences


class FakeTts(TtsEngine):
    name = "fake-tts"

    def __init__(self, sample_rate: int = 16_000, seconds_per_char: float = 0.06) -> None:
        self.sample_rate = sample_rate
        self.seconds_per_char = seconds_per_char
        self.spoken: list[str] = []

    def synthesize(self, text: str, prosody: Prosody | None = None) -> Iterator[TtsChunk]:
        scale = (prosody or Prosody()).length_scale
        for sentence in split_sentences(text):
            self.spoken.append(sentence)
            step = self.seconds_per_char * scale
            n = int(len(sentence) * step * self.sample_rate)
            t = np.arange(n) / self.sample_rate
            pcm = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
            phonemes = [(" " if ch == " " else "a", i * step, (i + 1) * step)
                        for i, ch in enumerate(sentence)]
            yield TtsChunk(pcm, self.sample_rate, sentence, phonemes)
