"""Runtime benchmark: every ONNX model on every backend x precision this machine has.

``run(quick)`` returns, per model and per ``backend/precision``: latency p50/p95
(one call at the manifest's typical shape: one sentence for the encoder, one
512-sample window for the VAD, one 128-phoneme sentence for the voice),
throughput, and for reduced precisions the accuracy delta against FP32 on the
CPU (cosine similarity and max abs error of the outputs). ``make bench`` merges
it into ``build/bench.json``; ``python -m appliance.bench_runtime`` prints it.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from appliance.runtime.backends import ORT_CPU, probe
from appliance.runtime.encoder_recipe import compare
from appliance.runtime.factory import create_session, plan
from appliance.runtime.manifest import ModelSpec, TensorSpec, load_manifest
from appliance.runtime.session import Session

logger = logging.getLogger(__name__)

SENTENCES = [
    "Where is the ticket office?",
    "How do I get to the airport line from here?",
    "I lost my wallet on the train this morning, can you help me?",
    "Is there an elevator to platform two?",
]


def _concrete(t: TensorSpec) -> tuple[int, ...]:
    if t.opt:
        return tuple(t.opt)
    return tuple(d if isinstance(d, int) else 1 for d in t.shape)


def sample_feeds(spec: ModelSpec, batch: int = 1) -> dict[str, np.ndarray]:
    """Typical inputs for ``spec``: real sentences for the encoder, plausible tensors else."""
    if spec.name == "sentence-encoder":
        from appliance.runtime.encoder import ensure_encoder
        from appliance.runtime.tokenizer import load_tokenizer, tokenize

        tok = load_tokenizer(ensure_encoder("fp32").parent / "tokenizer.json")
        return tokenize(tok, (SENTENCES * batch)[: max(batch, 1)])
    rng = np.random.default_rng(0)
    feeds: dict[str, np.ndarray] = {}
    for t in spec.inputs:
        shape = _concrete(t)
        if t.name == "scales":
            feeds[t.name] = np.array([0.667, 1.0, 0.8], dtype=np.float32)
        elif t.dtype == "int64" and "length" in t.name:
            feeds[t.name] = np.full(shape, _concrete(spec.inputs[0])[-1], dtype=np.int64)
        elif t.dtype == "int64":
            feeds[t.name] = rng.integers(1, 60, size=shape, dtype=np.int64)
        elif t.name in ("h", "c"):
            feeds[t.name] = np.zeros(shape, dtype=np.float32)
        else:
            feeds[t.name] = (rng.standard_normal(shape) * 0.1).astype(np.float32)
    return feeds


def _time(fn: Callable[[], Any], iters: int) -> list[float]:
    fn()  # warm-up (engine build, allocations)
    out = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def _first(result: dict[str, np.ndarray]) -> np.ndarray:
    return np.asarray(next(iter(result.values())), dtype=np.float32).reshape(1, -1)


def bench_model(spec: ModelSpec, quick: bool) -> dict[str, Any]:
    """All backend/precision rows for one model."""
    heavy = spec.name.startswith("piper")
    iters = (3 if heavy else 15) if quick else (10 if heavy else 60)
    feeds = sample_feeds(spec)
    reference: np.ndarray | None = None
    rows: dict[str, Any] = {}
    precisions = [p for p in ("fp32", "fp16", "int8") if p in spec.precisions]
    seen: set[tuple[str, str]] = set()
    for precision in precisions:
        cands, _ = plan(spec, precision, probe())
        for cand in cands:
            if (cand.backend, cand.precision) in seen or cand.precision != precision:
                continue
            seen.add((cand.backend, cand.precision))
            label = f"{cand.backend}/{cand.precision}"
            try:
                sess: Session = create_session(spec, precision, backend=cand.backend)
            except Exception as exc:
                rows[label] = {"error": str(exc)}
                continue
            with sess:
                ms = _time(functools.partial(sess.run, feeds), iters)
                out = _first(sess.run(feeds))
                row: dict[str, Any] = {
                    "latency_ms": {"p50": round(float(np.percentile(ms, 50)), 3),
                                   "p95": round(float(np.percentile(ms, 95)), 3)},
                    "runs_per_s": round(1000.0 / float(np.median(ms)), 1),
                    "iterations": iters,
                }
                if spec.name == "sentence-encoder":
                    batch = sample_feeds(spec, 32)
                    bms = _time(functools.partial(sess.run, batch), max(3, iters // 10))
                    row["sentences_per_s_batch32"] = round(32000.0 / float(np.median(bms)), 1)
            if cand.backend == ORT_CPU and precision == "fp32":
                reference = out
            elif reference is not None and precision != "fp32":
                row["accuracy_vs_fp32"] = compare(reference, out)
            rows[label] = row
    return rows


def run(quick: bool = False) -> dict[str, Any]:
    """Benchmark every ONNX model of the manifest on every available backend and precision."""
    caps = probe()
    result: dict[str, Any] = {
        "machine": {"gpu": caps.gpu_name, "tensorrt": caps.tensorrt_version,
                    "onnxruntime": caps.ort_version, "providers": list(caps.ort_providers)},
        "models": {},
    }
    for spec in load_manifest():
        if spec.format != "onnx":
            continue
        try:
            result["models"][spec.name] = bench_model(spec, quick)
        except Exception as exc:  # one missing model must not sink the others
            logger.warning("bench of %s failed: %s", spec.name, exc)
            result["models"][spec.name] = {"error": str(exc)}
    enc = result["models"].get("sentence-encoder", {})
    fp32, int8 = enc.get("ort-cpu/fp32", {}), enc.get("ort-cpu/int8", {})
    if "latency_ms" in fp32 and "latency_ms" in int8:
        result["encoder_cpu_int8_speedup_x"] = round(
            fp32["latency_ms"]["p50"] / int8["latency_ms"]["p50"], 2)
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
