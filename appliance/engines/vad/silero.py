"""Silero VAD v6 through the model runtime, one 32 ms window at a time."""

from __future__ import annotations

import logging

import numpy as np

from appliance.engines.vad.base import VadEngine
from appliance.errors import EngineLoadError, KioskError

logger = logging.getLogger(__name__)

MODEL = "silero-vad"
"""The manifest entry (``models/manifest.toml``): the model ``faster-whisper`` ships."""
_CONTEXT = 64  # samples of the previous window the model sees (v5/v6 at 16 kHz)


class SileroVad(VadEngine):
    """Streaming Silero VAD: LSTM state and 64 samples of context carried across calls.

    The session comes from :func:`appliance.runtime.create_session`, so the backend is the
    runtime's choice (TensorRT > ORT TensorRT EP > CUDA EP > CPU) with the manifest's hash
    check, profiles and engine cache. One intra-op thread: a 32 ms window is too small to
    split, and the VAD must not take cores from ASR and TTS running beside it.
    """

    name = "silero"
    window_samples = 512

    def __init__(self, *, backend: str = "auto") -> None:
        from appliance.runtime.factory import create_session

        try:  # precision auto: fp32 on the CPU, fp16 where TensorRT runs it
            self._session = create_session(MODEL, "auto", backend=backend, threads=1)
        except (KioskError, OSError) as exc:  # not installed, hash mismatch, no backend
            raise EngineLoadError(f"cannot load Silero VAD: {exc}") from exc
        self._outputs = self._session.output_names  # speech_probs, hn, cn (model order)
        self.reset()

    def describe(self) -> dict[str, object]:
        """Where the VAD runs (the runtime's choice and why), for health."""
        return self._session.describe()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probability(self, window: np.ndarray) -> float:
        x = np.concatenate([self._context, window.astype(np.float32)])[None, :]
        out = self._session.run({"input": x, "h": self._h, "c": self._c}, self._outputs)
        prob, self._h, self._c = (out[n] for n in self._outputs)
        self._context = x[0, -_CONTEXT:]
        return float(np.ravel(prob)[0])
