"""What each model would run on here, in order, and why: ``kiosk-provision models plan``.

Pure apart from the probe: capabilities in, one row per backend out, so the
technician (and the tests) see the same order the factory walks. ONNX models
(VAD, TTS, encoder) go TensorRT > ORT TensorRT EP > CUDA EP > CPU through
:func:`appliance.runtime.factory.plan`. Whisper is a CTranslate2 model: its GPU
path is CTranslate2 built with CUDA (as jetson-containers builds it; PyPI's
aarch64 wheel has no CUDA), float16 on the GPU, int8 on the CPU (see the
README's "ASR on the GPU").
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from appliance.runtime.backends import BACKENDS, Capabilities, probe
from appliance.runtime.factory import plan
from appliance.runtime.manifest import Manifest, ModelSpec, load_manifest

logger = logging.getLogger(__name__)

ROLES = {"silero-vad": "vad", "whisper-tiny-en": "asr", "whisper-base": "asr", "vosk-ko": "asr",
         "piper-en-us-joe-medium": "tts", "sentence-encoder": "encoder"}
"""Which engine each manifest model serves."""

CT2_CUDA = "ct2-cuda"
CT2_CPU = "ct2-cpu"


def ct2_cuda_devices() -> tuple[int, str]:
    """(CUDA devices CTranslate2 can use, why none) without loading a model."""
    if importlib.util.find_spec("ctranslate2") is None:
        return 0, "ctranslate2 is not installed"
    try:
        import ctranslate2

        count = int(ctranslate2.get_cuda_device_count())
    except Exception as exc:  # a broken CUDA install is reported, never raised
        return 0, f"ctranslate2 cannot query CUDA: {exc}"
    if count == 0:
        return 0, ("this ctranslate2 build has no CUDA or sees no GPU (PyPI's aarch64 wheel "
                   "is CPU-only: build it with CUDA on the device, as jetson-containers does)")
    return count, ""


def _ctranslate2_rows(spec: ModelSpec) -> list[dict[str, Any]]:
    count, why = ct2_cuda_devices()
    rows = [{"backend": b, "available": False, "precision": "",
             "reason": "a CTranslate2 model, not ONNX: CTranslate2 runs it"} for b in BACKENDS]
    rows.insert(0, {"backend": CT2_CUDA, "available": count > 0,
                    "precision": "fp16" if count else "",
                    "reason": f"CTranslate2 on CUDA ({count} device(s)), float16" if count
                    else why})
    rows.insert(1, {"backend": CT2_CPU, "available": True, "precision": "int8",
                    "reason": "CTranslate2 on the CPU, int8 (the default here)"})
    return rows


def _other_rows(spec: ModelSpec) -> list[dict[str, Any]]:
    engine = "vosk (Kaldi)" if spec.format == "kaldi" else spec.format
    return [{"backend": "cpu", "available": importlib.util.find_spec("vosk") is not None
             if spec.format == "kaldi" else True, "precision": "fp32",
             "reason": f"{engine} runs on the CPU only"}]


def model_plan(spec: ModelSpec, caps: Capabilities, precision: str = "auto") -> dict[str, Any]:
    """One model's rows, in the order they would be tried; ``chosen`` is the first usable."""
    if spec.format == "ctranslate2":
        rows = _ctranslate2_rows(spec)
    elif spec.format == "onnx":
        candidates, skipped = plan(spec, precision, caps)
        why_not = {s["backend"]: s["reason"] for s in skipped}
        by_backend = {c.backend: c for c in candidates}
        rows = []
        for backend in BACKENDS:
            cand = by_backend.get(backend)
            rows.append({"backend": backend, "available": cand is not None,
                         "precision": cand.precision if cand else "",
                         "reason": cand.reason if cand else why_not.get(backend, "")})
    else:
        rows = _other_rows(spec)
    chosen = next((r["backend"] for r in rows if r["available"]), None)
    return {"model": spec.name, "role": ROLES.get(spec.name, ""), "format": spec.format,
            "optional": spec.optional, "chosen": chosen, "backends": rows}


def plan_all(manifest: Manifest | None = None, caps: Capabilities | None = None
             ) -> dict[str, Any]:
    """Every manifest model's plan, with the machine's capabilities."""
    manifest = manifest or load_manifest()
    caps = caps or probe()
    return {"machine": caps.to_dict() | {"gpu_variant": caps.gpu_variant},
            "models": [model_plan(spec, caps) for spec in manifest]}
