"""``create_session``: pick the best backend this machine has for a model, and say why.

Order of preference: native TensorRT (``tensorrt`` + ``pycuda``, engine built on
the device and cached) > ONNX Runtime's TensorRT provider > its CUDA provider >
the CPU. :func:`plan` is pure (capabilities in, ordered candidates out) so the
choice is testable on any machine; :func:`create_session` walks the plan and
falls back to the next candidate when one fails to load, logging each step. The
session's ``describe()`` carries the choice, the reason and every skipped backend.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.runtime.backends import (
    BACKENDS,
    ORT_CPU,
    ORT_CUDA,
    ORT_PROVIDER,
    ORT_TENSORRT,
    TENSORRT,
    Capabilities,
    probe,
)
from appliance.runtime.derived import Derivation
from appliance.runtime.engine_cache import EngineCache
from appliance.runtime.errors import BackendUnavailableError
from appliance.runtime.health import register
from appliance.runtime.manifest import ModelSpec, load_manifest
from appliance.runtime.session import OrtSession, Session
from appliance.runtime.store import file_sha256, model_dir, resolve
from appliance.runtime.trt_build import engine_key

logger = logging.getLogger(__name__)

GPU_BACKENDS = (TENSORRT, ORT_TENSORRT)


@dataclass(frozen=True)
class Candidate:
    """One backend the factory will try, at the precision it will run at."""

    backend: str
    precision: str
    reason: str


def _precision_for(backend: str, want: str, spec: ModelSpec) -> tuple[str, str]:
    """(precision, note) that ``backend`` runs ``spec`` at when ``want`` is asked."""
    allowed = spec.precisions
    if backend in GPU_BACKENDS:
        if want == "auto":
            want = "fp16" if "fp16" in allowed else "fp32"
        if want == "int8" and "int8_qdq" not in spec.variants:
            return "fp16", "int8 asked but no calibrated Q/DQ model (recipe): fp16"
        if want not in allowed:
            return "fp32", f"{want} not allowed for this model: fp32"
        return want, ""
    # ONNX Runtime CUDA/CPU run the file of that precision, if the recipe made one.
    if want == "auto":
        want = "int8" if (backend == ORT_CPU and "int8" in spec.variants) else "fp32"
    if want not in spec.variants:
        return "fp32", f"no {want} file for {backend}: fp32"
    if backend == ORT_CUDA and want == "int8":
        return "fp32", "dynamic-int8 kernels run on the CPU, not CUDA: fp32"
    return want, ""


def _missing(backend: str, caps: Capabilities) -> str:
    if backend in caps.notes:
        return caps.notes[backend]
    if backend == TENSORRT:
        return caps.notes.get("gpu") or caps.notes.get("pycuda") or "no GPU visible to pycuda"
    return f"onnxruntime {caps.ort_version} has no {ORT_PROVIDER[backend]}"


def plan(
    spec: ModelSpec,
    precision: str = "auto",
    caps: Capabilities | None = None,
    allow: Iterable[str] | None = None,
) -> tuple[list[Candidate], list[dict[str, str]]]:
    """Ordered candidates for ``spec`` and the backends passed over (with reasons)."""
    caps = caps or probe()
    allowed = set(allow) if allow else set(BACKENDS)
    candidates: list[Candidate] = []
    skipped: list[dict[str, str]] = []
    for backend in BACKENDS:
        if backend not in allowed:
            skipped.append({"backend": backend, "reason": "not allowed by configuration"})
            continue
        if not caps.has(backend):
            skipped.append({"backend": backend, "reason": _missing(backend, caps)})
            continue
        if spec.format != "onnx":
            skipped.append({"backend": backend, "reason": f"{spec.format} models are not ONNX"})
            continue
        if backend == TENSORRT:
            unprofiled = [t.name for t in spec.inputs if t.dynamic and not (t.min and t.max)]
            if unprofiled or not spec.inputs:
                what = ", ".join(unprofiled) or "inputs"
                why = f"manifest has no optimization profile for {what}"
                skipped.append({"backend": backend, "reason": why})
                continue
        prec, note = _precision_for(backend, precision, spec)
        reason = f"best available backend ({backend}, {prec})" + (f"; {note}" if note else "")
        candidates.append(Candidate(backend, prec, reason))
    return candidates, skipped


def _source(spec: ModelSpec, variant: str, cache: EngineCache,
            derive: Derivation | None) -> tuple[Path, str]:
    """(ONNX file, its sha256) a backend loads for ``variant``: the manifest's, or derived."""
    if derive is not None:
        return derive.source(spec, variant, cache.root)
    return resolve(spec, variant), file_sha256(spec, variant)


def _open(
    spec: ModelSpec, cand: Candidate, caps: Capabilities, cache: EngineCache, threads: int,
    derive: Derivation | None = None,
) -> Session:
    if cand.backend in (ORT_CPU, ORT_CUDA):
        path, _ = _source(spec, cand.precision, cache, derive)
        return OrtSession(spec, cand.backend, cand.precision, path, threads=threads)
    variant = "int8_qdq" if cand.precision == "int8" else "fp32"
    onnx_path, onnx_sha = _source(spec, variant, cache, derive)
    key = engine_key(spec, cand.precision, onnx_sha, caps.gpu_variant,
                     caps.tensorrt_version or "unknown-trt")
    if cand.backend == TENSORRT:
        from appliance.runtime.trt_session import TrtSession, build_engine

        source = onnx_path if derive is not None else None
        engine, built = cache.get_or_build(
            spec.name, key,
            lambda: build_engine(spec, resolve(spec, "fp32"), cand.precision, cache, key,
                                 model_dir(spec), source=source),
            model=spec.name, onnx=str(onnx_path),
        )
        sess: Session = TrtSession(spec, cand.precision, engine)
        sess.reason = "engine built now" if built else "engine from cache"
        return sess
    folder = cache.ort_dir(spec.name, key)
    try:
        return OrtSession(spec, ORT_TENSORRT, cand.precision, onnx_path, cache_dir=folder)
    except Exception as exc:  # a corrupt ORT engine cache: wipe once and retry
        logger.warning("onnxruntime TensorRT failed with cache %s (%s): wiping, retrying",
                       folder, exc)
        cache.wipe_ort_dir(folder)
        folder = cache.ort_dir(spec.name, key)
        return OrtSession(spec, ORT_TENSORRT, cand.precision, onnx_path, cache_dir=folder)


Opener = Callable[[ModelSpec, Candidate, Capabilities, EngineCache, int], Session]


def create_session(
    model: str | ModelSpec,
    precision: str = "auto",
    *,
    backend: str | Iterable[str] = "auto",
    caps: Capabilities | None = None,
    cache: EngineCache | None = None,
    threads: int = 0,
    opener: Opener | None = None,
    derive: Derivation | None = None,
) -> Session:
    """Load ``model`` (a manifest name or spec) on the best backend available.

    ``precision``: ``auto`` (fp16 on TensorRT, int8 on the CPU when the model has
    an int8 file), ``fp32``, ``fp16`` or ``int8``; a backend that cannot honour it
    runs the nearest precision and says so. ``backend``: ``auto`` or one or more
    of ``tensorrt``, ``ort-tensorrt``, ``ort-cuda``, ``ort-cpu`` to restrict the
    choice. ``derive``: load the model with a fixed graph edit saved as its own file
    (Piper's alignment output; the engine cache keys on that file's hash). Raises
    :class:`BackendUnavailableError` when nothing can load it.
    """
    spec = load_manifest().get(model) if isinstance(model, str) else model
    caps = caps or probe()
    allow = None if backend == "auto" else ([backend] if isinstance(backend, str) else backend)
    candidates, skipped = plan(spec, precision, caps, allow)
    open_ = opener or functools.partial(_open, derive=derive)
    cache = cache or EngineCache()
    for cand in candidates:
        try:
            sess = open_(spec, cand, caps, cache, threads)
        except Exception as exc:
            logger.warning("model %s: %s failed to load, falling back: %s",
                           spec.name, cand.backend, exc)
            skipped.append({"backend": cand.backend, "reason": f"failed to load: {exc}"})
            continue
        detail = sess.reason
        sess.reason = cand.reason + (f"; {detail}" if detail else "")
        sess.skipped = skipped
        register(sess)
        logger.info("model %s runs on %s at %s (%s)", spec.name, sess.backend, sess.precision,
                    sess.reason)
        return sess
    reasons = "; ".join(f"{s['backend']}: {s['reason']}" for s in skipped)
    raise BackendUnavailableError(f"model {spec.name!r} cannot run here: {reasons}")


def default_cache_root() -> Path:
    """Where engines are cached (``<state>/engines``)."""
    return EngineCache().root
