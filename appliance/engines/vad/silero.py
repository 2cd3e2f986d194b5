"""Silero VAD v6 through ONNX Runtime, one 32 ms window at a time."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from appliance.engines.vad.base import VadEngine
from appliance.errors import EngineLoadError

logger = logging.getLogger(__name__)

_CONTEXT = 64  # samples of the previous window the model sees (v5/v6 at 16 kHz)


def default_model_path() -> Path:
    """The Silero VAD model that ships inside the ``faster-whisper`` package."""
    try:
        import faster_whisper
    except ImportError as exc:
        raise EngineLoadError("faster-whisper is not installed: no Silero VAD model") from exc
    path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    if not path.exists():
        raise EngineLoadError(f"Silero VAD model missing at {path}")
    return path


class SileroVad(VadEngine):
    """Streaming Silero VAD: LSTM state and 64 samples of context carried across calls."""

    name = "silero"
    window_samples = 512

    def __init__(self, model_path: str | Path | None = None) -> None:
        import onnxruntime as ort

        path = Path(model_path) if model_path else default_model_path()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(path), opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EngineLoadError(f"cannot load Silero VAD {path}: {exc}") from exc
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probability(self, window: np.ndarray) -> float:
        x = np.concatenate([self._context, window.astype(np.float32)])[None, :]
        prob, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = x[0, -_CONTEXT:]
        return float(np.ravel(prob)[0])
