"""Runtime benchmark: every ONNX model on every backend x precision this machine has.

``run(quick)`` returns, per model and per ``backend/precision``: latency p50/p95
(one call at the manifest's typical shape: one sentence for the encoder, one
512-sample window for the VAD, one 128-phoneme sentence for the voice),
throughput, and for reduced precisions the accuracy delta against FP32 on the
CPU (cosine similarity and max abs error of the outputs). It also reports the
kiosk's memory: peak RSS with every engine ``make run`` loads (VAD, ASR, NLU and
safety on the sentence encoder, QA, TTS, lip-sync), warmed up and through one
spoken turn, measured in a fresh interpreter so the other benches' models do
not count, against the Orin Nano 8 GB budget.
``make bench`` merges it into ``build/bench.json``;
``python -m appliance.bench.runtime`` prints it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
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


ORIN_NANO_8GB_BUDGET_MB = 1500
"""RSS the kiosk may take on an Orin Nano 8 GB on the CPU path: the 8 GB are shared
with the GPU, the display session and the OS (issue 12)."""
MEMORY_PROBE_TIMEOUT_S = 600
_PROBE_FLAG = "--memory-probe"


def _vm_kb(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status in KiB (None off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _memory_probe(turns: int) -> dict[str, Any]:
    """In the probe process: load and warm as ``make run`` does, converse; report RSS."""
    import asyncio

    from appliance.app import check_question_wav, converse
    from appliance.bench.speech_loop import question_wavs
    from appliance.engines.factory import create_engines, warm_up
    from appliance.settings import load

    baseline_kb = _vm_kb("VmRSS") or 0
    settings, _ = load()
    engines = create_engines(settings)
    warm_up(engines)
    loaded_kb = _vm_kb("VmRSS") or 0
    # real turns (VAD, ASR, NLU + safety, QA, TTS, lip-sync): working buffers count too
    answered = 0
    for _, wav in question_wavs(engines, Path("build/bench-questions"), turns):
        question = check_question_wav(wav)
        turn = asyncio.run(converse(settings, engines, question, realtime=False))
        answered += bool(turn and turn.reply)
    # ru_maxrss is KiB on Linux; VmHWM is the same high-water mark where /proc exists
    peak_kb = _vm_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"baseline_kb": baseline_kb, "loaded_kb": loaded_kb, "peak_kb": peak_kb,
            "turns": turns, "answered": answered, "engines": engines.describe(),
            "notes": list(engines.notes)}


def bench_memory(quick: bool = False) -> dict[str, Any]:
    """Peak RSS of the kiosk with every engine loaded, from a fresh interpreter.

    The figures of this process would include whatever the other areas loaded, so a
    child runs :func:`_memory_probe` and prints one JSON line.
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "appliance.bench.runtime", _PROBE_FLAG,
               str(1 if quick else 5)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env,
                          timeout=MEMORY_PROBE_TIMEOUT_S, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"memory probe failed (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-400:]} [bench-memory-probe-failed]")
    probe_out = json.loads(lines[-1])
    peak_mb = round(probe_out["peak_kb"] / 1024, 1)
    return {
        "peak_rss_all_engines_mb": peak_mb,
        "rss_engines_loaded_mb": round(probe_out["loaded_kb"] / 1024, 1),
        "rss_interpreter_mb": round(probe_out["baseline_kb"] / 1024, 1),
        "orin_nano_8gb_budget_mb": ORIN_NANO_8GB_BUDGET_MB,
        "fits_orin_nano_8gb": peak_mb <= ORIN_NANO_8GB_BUDGET_MB,
        "memory_error": None,  # clears one an earlier run left in bench.json
        "memory_probe": {"engines": probe_out["engines"], "notes": probe_out["notes"],
                         "turns": probe_out["turns"],
                         "turns_answered": probe_out["answered"],
                         "what": "fresh interpreter: settings as make run loads them, "
                                 "create_engines + warm_up + spoken turns; "
                                 "avatar renderer and telemetry not included"},
    }


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
    # measured last and in its own process: nothing loaded above is counted
    try:
        result.update(bench_memory(quick))
    except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError) as exc:
        # the model figures above still count; the memory figure says why it is missing
        logger.warning("memory bench failed: %s", exc)
        result["memory_error"] = str(exc)[:500]
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    if _PROBE_FLAG in sys.argv:
        print(json.dumps(_memory_probe(int(sys.argv[sys.argv.index(_PROBE_FLAG) + 1]))))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
