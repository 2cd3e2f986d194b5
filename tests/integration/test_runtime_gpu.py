"""GPU paths: native TensorRT and ONNX Runtime's GPU providers on the real encoder.

Marked ``gpu`` (skipped without an NVIDIA GPU) and skipped where ``tensorrt``/
``pycuda`` or the providers are missing: never faked into passing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from appliance.runtime.backends import ORT_CUDA, ORT_TENSORRT, TENSORRT, probe_uncached
from appliance.runtime.encoder import Encoder, ensure_encoder
from appliance.runtime.encoder_recipe import compare
from appliance.runtime.engine_cache import EngineCache

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/dev/nvidia0").exists() and not Path("/dev/nvhost-gpu").exists(),
                       reason="needs an NVIDIA GPU"),
]

SENTENCES = ["Where is the ticket office?", "My wallet was stolen.", "Is there an elevator?"]
needs_trt = pytest.mark.skipif(
    importlib.util.find_spec("tensorrt") is None or importlib.util.find_spec("pycuda") is None,
    reason="tensorrt + pycuda (the [jetson] extra) not installed",
)


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    ensure_encoder("fp32")
    return Encoder("fp32", backend="ort-cpu").encode(SENTENCES)


@needs_trt
@pytest.mark.parametrize("precision,min_cos", [("fp16", 0.995), ("int8", 0.9)])
def test_native_tensorrt_engine_agrees_with_cpu_fp32(
    precision: str, min_cos: float, reference: np.ndarray, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path))
    enc = Encoder(precision, backend=TENSORRT)
    info = enc.describe()
    assert info["backend"] == TENSORRT and info["precision"] == precision
    assert "engine built now" in info["reason"]
    metrics = compare(reference, enc.encode(SENTENCES))
    assert metrics["cosine_min"] > min_cos, metrics
    enc.close()
    again = Encoder(precision, backend=TENSORRT)  # second load: from the engine cache
    assert "engine from cache" in again.describe()["reason"]
    again.close()
    [entry] = [e for e in EngineCache().entries() if e["key"]["precision"] == precision]
    assert entry["key"]["trt_version"] == probe_uncached().tensorrt_version


@pytest.mark.parametrize("backend", [ORT_CUDA, ORT_TENSORRT])
def test_onnxruntime_gpu_providers_agree_with_cpu(
    backend: str, reference: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caps = probe_uncached()
    if not caps.has(backend):
        pytest.skip(caps.notes.get(backend, f"{backend} not available"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path))
    enc = Encoder("fp16" if backend == ORT_TENSORRT else "fp32", backend=backend)
    assert enc.describe()["backend"] == backend
    assert compare(reference, enc.encode(SENTENCES))["cosine_min"] > 0.99
