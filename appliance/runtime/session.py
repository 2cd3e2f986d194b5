"""Engine sessions: one small interface over TensorRT and ONNX Runtime.

Every backend gives a :class:`Session` with ``run(feeds) -> {name: array}`` and
``describe()`` (what runs where and why, for the health report). Sessions are not
thread-safe: give each one its own single-thread executor
(:mod:`appliance.runtime.executor`).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from appliance.runtime.backends import ORT_CPU, ORT_CUDA, ORT_PROVIDER, ORT_TENSORRT
from appliance.runtime.manifest import ModelSpec

logger = logging.getLogger(__name__)


class Session(ABC):
    """A loaded model on one backend at one precision."""

    def __init__(self, spec: ModelSpec, backend: str, precision: str, path: Path) -> None:
        self.spec = spec
        self.backend = backend
        self.precision = precision
        self.path = path
        self.reason = ""
        """Why the factory chose this backend (filled by the factory)."""
        self.skipped: list[dict[str, str]] = []
        """Backends tried or passed over before this one, each with its reason."""

    @property
    @abstractmethod
    def input_names(self) -> list[str]: ...

    @property
    @abstractmethod
    def output_names(self) -> list[str]: ...

    @abstractmethod
    def run(
        self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Run once; returns the requested outputs (all by default) by name."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends free on GC
        """Free the session's resources (idempotent)."""

    def describe(self) -> dict[str, Any]:
        """What the health report shows for this model."""
        return {
            "model": self.spec.name,
            "version": self.spec.version,
            "backend": self.backend,
            "precision": self.precision,
            "path": str(self.path),
            "reason": self.reason,
            "skipped": list(self.skipped),
        }

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ort_provider_options(
    backend: str, precision: str, spec: ModelSpec, cache_dir: Path | None
) -> list[Any]:
    """The ``providers`` list for ``onnxruntime.InferenceSession`` for ``backend``."""
    if backend == ORT_CPU:
        return [ORT_PROVIDER[ORT_CPU]]
    if backend == ORT_CUDA:
        return [ORT_PROVIDER[ORT_CUDA], ORT_PROVIDER[ORT_CPU]]
    assert cache_dir is not None, "the TensorRT provider needs an engine cache folder"
    opts: dict[str, Any] = {
        "trt_engine_cache_enable": True,
        "trt_engine_cache_path": str(cache_dir),
        "trt_timing_cache_enable": True,
        "trt_timing_cache_path": str(cache_dir),
        "trt_fp16_enable": precision in ("fp16", "int8"),
        "trt_max_workspace_size": 1 << 30,
    }
    if precision == "int8":  # the model is the recipe's Q/DQ file: explicit quantization
        opts["trt_int8_enable"] = True
    profiles = [t for t in spec.inputs if t.dynamic and t.min and t.opt and t.max]
    if profiles:
        for key, attr in (("min", "min"), ("opt", "opt"), ("max", "max")):
            opts[f"trt_profile_{key}_shapes"] = ",".join(
                f"{t.name}:{'x'.join(str(d) for d in getattr(t, attr))}" for t in profiles
            )
    return [
        (ORT_PROVIDER[ORT_TENSORRT], opts),
        ORT_PROVIDER[ORT_CUDA],
        ORT_PROVIDER[ORT_CPU],
    ]


class OrtSession(Session):
    """ONNX Runtime on the TensorRT, CUDA or CPU execution provider."""

    def __init__(
        self,
        spec: ModelSpec,
        backend: str,
        precision: str,
        path: Path,
        *,
        cache_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        import onnxruntime as ort

        super().__init__(spec, backend, precision, path)
        so = ort.SessionOptions()
        so.log_severity_level = 3
        # Idle intra-op threads otherwise spin-wait for more work after each run, taking
        # the CPU from the next stage (the TTS voice right after NLU: +40 ms measured).
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
        providers = ort_provider_options(backend, precision, spec, cache_dir)
        self._sess = ort.InferenceSession(str(path), sess_options=so, providers=providers)
        active = self._sess.get_providers()
        if active[0] != ORT_PROVIDER[backend]:
            raise RuntimeError(f"onnxruntime fell back to {active[0]} instead of {backend}")
        self.providers = active
        self._inputs = [i.name for i in self._sess.get_inputs()]
        self._outputs = [o.name for o in self._sess.get_outputs()]

    @property
    def input_names(self) -> list[str]:
        return list(self._inputs)

    @property
    def output_names(self) -> list[str]:
        return list(self._outputs)

    def run(
        self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        names = list(outputs) if outputs else self._outputs
        values = self._sess.run(names, dict(feeds))
        return dict(zip(names, values, strict=True))

    def close(self) -> None:
        self._sess = None  # type: ignore[assignment]

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["providers"] = list(self.providers)
        return d
