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
from pathlib import Path
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
    gpu_detail: str = ""
    """Compute capability, SM count and board model (``sm87-8sm-NVIDIA Jetson Orin Nano``)."""

    @property
    def gpu_variant(self) -> str:
        """The exact GPU an engine is built for: every Orin calls itself "Orin"."""
        name = self.gpu_name or "unknown-gpu"
        return f"{name}|{self.gpu_detail}" if self.gpu_detail else name

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


BOARD_MODEL = Path("/proc/device-tree/model")
"""The Jetson module and carrier (``NVIDIA Jetson Orin Nano Developer Kit``); absent on a PC."""


def board_model(path: Path = BOARD_MODEL) -> str:
    """The device-tree board model, or "" where there is none (x86, containers)."""
    try:
        return path.read_bytes().rstrip(b"\0").decode(errors="replace").strip()
    except OSError:
        return ""


def _gpu_name() -> tuple[str | None, str, str]:
    """(name, detail, why-not) of GPU 0 through pycuda; detail is the exact variant."""
    try:
        import pycuda.driver as cuda

        cuda.init()
        if cuda.Device.count() == 0:
            return None, "", "CUDA driver reports no GPU"
        dev = cuda.Device(0)
        major, minor = dev.compute_capability()
        sms = dev.get_attribute(cuda.device_attribute.MULTIPROCESSOR_COUNT)
        detail = f"sm{major}{minor}-{sms}sm"
        board = board_model()
        return str(dev.name()), f"{detail}-{board}" if board else detail, ""
    except Exception as exc:  # no driver, no device, or a container without /dev/nvidia*
        return None, "", f"CUDA driver unavailable: {exc}"


def probe_uncached() -> Capabilities:
    """Probe the machine now (see :func:`probe` for the cached version)."""
    notes: dict[str, str] = {}
    trt_version = _module_version("tensorrt")
    if trt_version is None:
        notes[TENSORRT] = "python module tensorrt not installed (the [jetson] extra / JetPack)"
    has_pycuda = importlib.util.find_spec("pycuda") is not None
    gpu: str | None = None
    detail = ""
    if has_pycuda:
        gpu, detail, why = _gpu_name()
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
    return Capabilities(trt_version, has_pycuda, gpu, ort_version, providers, notes, detail)


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
