"""What this machine can run models on: a cheap, import-safe probe.

Nothing here initializes CUDA or builds anything: it looks for the ``tensorrt``
and ``pycuda`` modules, asks ONNX Runtime for its providers and asks the driver
(through pycuda, only when it is installed) for the GPU's name. The result is a
plain dataclass so the factory's choice can be tested with any combination.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

logger = logging.getLogger(__name__)

TENSORRT = "tensorrt"
ORT_TENSORRT = "ort-tensorrt"
ORT_CUDA = "ort-cuda"
ORT_CPU = "ort-cpu"
BACKENDS = (TENSORRT, ORT_TENSORRT, ORT_CUDA, ORT_CPU)
"""In order of preference."""

ORT_PROVIDER = {
    ORT_TENSORRT: "TensorrtExecutionProvider",
    ORT_CUDA: "CUDAExecutionProvider",
    ORT_CPU: "CPUExecutionProvider",
}


@dataclass(frozen=True)
class Capabilities:
    """What the machine has; ``notes`` says why something is missing."""

    tensorrt_version: str | None = None
    pycuda: bool = False
    gpu_name: str | None = None
    ort_version: str | None = None
    ort_providers: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def native_tensorrt(self) -> bool:
        return bool(self.tensorrt_version and self.pycuda and self.gpu_name)

    def has(self, backend: str) -> bool:
        """Whether ``backend`` could run here at all."""
        if backend == TENSORRT:
            return self.native_tensorrt
        return ORT_PROVIDER[backend] in self.ort_providers

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ort_providers"] = list(self.ort_providers)
        return d


def _module_version(name: str) -> str | None:
    if importlib.util.find_spec(name) is None:
        return None
    try:
        mod = __import__(name)
    except Exception as exc:  # a broken install is reported, never raised
        logger.warning("%s is installed but fails to import: %s", name, exc)
        return None
    return str(getattr(mod, "__version__", "unknown"))


def _gpu_name() -> tuple[str | None, str]:
    try:
        import pycuda.driver as cuda

        cuda.init()
        if cuda.Device.count() == 0:
            return None, "CUDA driver reports no GPU"
        return str(cuda.Device(0).name()), ""
    except Exception as exc:  # no driver, no device, or a container without /dev/nvidia*
        return None, f"CUDA driver unavailable: {exc}"


def probe_uncached() -> Capabilities:
    """Probe the machine now (see :func:`probe` for the cached version)."""
    notes: dict[str, str] = {}
    trt_version = _module_version("tensorrt")
    if trt_version is None:
        notes[TENSORRT] = "python module tensorrt not installed (the [jetson] extra / JetPack)"
    has_pycuda = importlib.util.find_spec("pycuda") is not None
    gpu: str | None = None
    if has_pycuda:
        gpu, why = _gpu_name()
        if gpu is None:
            notes["gpu"] = why
    else:
        notes["pycuda"] = "python module pycuda not installed (the [jetson] extra)"
    ort_version: str | None = None
    providers: tuple[str, ...] = ()
    try:
        import onnxruntime as ort

        ort_version = ort.__version__
        providers = tuple(ort.get_available_providers())
    except ImportError as exc:
        notes["onnxruntime"] = f"onnxruntime not importable: {exc}"
    for backend in (ORT_TENSORRT, ORT_CUDA):
        if ORT_PROVIDER[backend] not in providers:
            notes[backend] = f"onnxruntime {ort_version} has no {ORT_PROVIDER[backend]}"
    return Capabilities(trt_version, has_pycuda, gpu, ort_version, providers, notes)


@lru_cache(maxsize=1)
def probe() -> Capabilities:
    """The machine's capabilities, probed once per process."""
    caps = probe_uncached()
    logger.info(
        "runtime backends: tensorrt=%s pycuda=%s gpu=%s onnxruntime=%s providers=%s",
        caps.tensorrt_version, caps.pycuda, caps.gpu_name, caps.ort_version,
        ",".join(caps.ort_providers),
    )
    return caps
