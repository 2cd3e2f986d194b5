"""A scripted ASR for tests: each utterance (stream) hears the next line of a script."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from appliance.engines.asr.base import AsrEngine, AsrResult, AsrStream


class _FakeStream(AsrStream):
    def __init__(self, engine: FakeAsr, text: str) -> None:
        self._engine = engine
        self._text = text
        self.samples = 0

    def accept(self, pcm: np.ndarray) -> AsrResult | None:
        self.samples += len(pcm)
        return None

    def peek(self) -> AsrResult | None:
        self._engine.peeks += 1
        return AsrResult(self._text, True, 1.0 if self._text else 0.0)

    def finish(self) -> AsrResult:
        self._engine.heard.append(self.samples)
        return AsrResult(self._text, True, 1.0 if self._text else 0.0)


class FakeAsr(AsrEngine):
    name = "fake-asr"

    def __init__(self, script: Iterable[str] = ()) -> None:
        self.script = list(script)
        self.heard: list[int] = []  # samples received per finished utterance
        self.peeks = 0

    def stream(self) -> AsrStream:
        return _FakeStream(self, self.script.pop(0) if self.script else "")
