"""Native TensorRT session: a deserialized engine, I/O through pycuda device buffers.

Written against the name-based tensor API (``num_io_tensors``, ``set_input_shape``,
``set_tensor_address``, ``execute_async_v3``): present since TensorRT 8.5, so the
same code runs on JetPack 6.0 (TensorRT 8.6) and 6.1+ (TensorRT 10), which removed
the binding API. ``tests/unit/test_runtime_tensorrt_standin.py`` checks both against
stand-ins with exactly each generation's names; ``make gpu-check`` runs it for real.
It uses the device's primary CUDA context, pushed around every call, so
the session works from whichever single thread runs it (see ``executor``).
Only imported when ``tensorrt`` and ``pycuda`` exist; the engine build lives in
:mod:`appliance.runtime.trt_build`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from appliance.errors import EngineError
from appliance.runtime.backends import TENSORRT
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.session import Session
from appliance.runtime.trt_build import build_engine, trt_logger

logger = logging.getLogger(__name__)

__all__ = ["TrtSession", "build_engine"]


class TrtSession(Session):
    """One TensorRT engine + execution context + stream, growing device buffers as needed."""

    def __init__(self, spec: ModelSpec, precision: str, engine_path: Path) -> None:
        import pycuda.driver as cuda
        import tensorrt as trt

        super().__init__(spec, TENSORRT, precision, engine_path)
        self._cuda = cuda
        cuda.init()
        self._ctx = cuda.Device(0).retain_primary_context()
        self._ctx.push()
        try:
            runtime = trt.Runtime(trt_logger())
            engine = runtime.deserialize_cuda_engine(engine_path.read_bytes())
            if engine is None:
                raise RuntimeError(
                    f"TensorRT could not deserialize {engine_path} (corrupt, or built by "
                    "another TensorRT version or GPU)"
                )
            self._engine = engine
            self._context = engine.create_execution_context()
            self._stream = cuda.Stream()
            names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
            self._in = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
            self._out = [n for n in names if n not in self._in]
            self._dtype = {n: np.dtype(trt.nptype(engine.get_tensor_dtype(n))) for n in names}
            self._buffers: dict[str, tuple[Any, int]] = {}
            self.gpu = str(cuda.Device(0).name())
        finally:
            self._ctx.pop()

    @property
    def input_names(self) -> list[str]:
        return list(self._in)

    @property
    def output_names(self) -> list[str]:
        return list(self._out)

    def _device(self, name: str, nbytes: int) -> Any:
        """Device buffer for ``name`` of at least ``nbytes`` (reallocated only to grow)."""
        buf = self._buffers.get(name)
        if buf is None or buf[1] < nbytes:
            if buf is not None:
                buf[0].free()
            buf = (self._cuda.mem_alloc(max(nbytes, 1)), max(nbytes, 1))
            self._buffers[name] = buf
        return buf[0]

    def run(
        self, feeds: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None
    ) -> dict[str, np.ndarray]:
        cuda = self._cuda
        self._ctx.push()
        try:
            for name in self._in:
                if name not in feeds:
                    raise EngineError(f"{self.spec.name}: missing input {name!r}")
                arr = np.ascontiguousarray(feeds[name], dtype=self._dtype[name])
                if not self._context.set_input_shape(name, arr.shape):
                    raise EngineError(
                        f"{self.spec.name}: input {name} shape {arr.shape} is outside the "
                        "engine's optimization profile (see models/manifest.toml)"
                    )
                buf = self._device(name, arr.nbytes)
                cuda.memcpy_htod(buf, arr)
                self._context.set_tensor_address(name, int(buf))
            host: dict[str, tuple[np.ndarray, Any]] = {}
            for name in self._out:
                shape = tuple(self._context.get_tensor_shape(name))
                if any(d < 0 for d in shape):
                    raise EngineError(f"{self.spec.name}: output {name} has unresolved {shape}")
                arr = np.empty(shape, dtype=self._dtype[name])
                buf = self._device(name, arr.nbytes)
                self._context.set_tensor_address(name, int(buf))
                host[name] = (arr, buf)
            if not self._context.execute_async_v3(stream_handle=self._stream.handle):
                raise EngineError(f"{self.spec.name}: TensorRT execution failed")
            self._stream.synchronize()
            wanted = list(outputs) if outputs else self._out
            for name in wanted:
                arr, buf = host[name]
                cuda.memcpy_dtoh(arr, buf)
            return {name: host[name][0] for name in wanted}
        finally:
            self._ctx.pop()

    def close(self) -> None:
        if getattr(self, "_ctx", None) is None:
            return
        self._ctx.push()
        try:
            for buf, _ in self._buffers.values():
                buf.free()
            self._buffers.clear()
            self._context = None
            self._engine = None
        finally:
            self._ctx.pop()
            self._ctx.detach()
            self._ctx = None

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d["gpu"] = self.gpu
        return d
