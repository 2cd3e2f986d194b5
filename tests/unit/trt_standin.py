"""Recording stand-ins of the ``tensorrt`` and ``pycuda.driver`` modules, real API shape.

Two generations, as JetPack 6 ships them: TensorRT 8.6 (JetPack 6.0) and TensorRT 10
(JetPack 6.1+). Each class defines only the names the real Python API has in that
generation (TensorRT 10 removed the binding API: ``num_bindings``, ``get_binding_*``,
``binding_is_input``, ``set_binding_shape``, ``execute_async_v2``, ``Builder.build_engine``,
``IBuilderConfig.max_workspace_size``; see NVIDIA's "Migrating Python Code from TensorRT
8.x to 10.x"), so code that calls a misnamed or removed method fails with
``AttributeError`` here exactly as it would on the device. Every call is recorded.

They compute for real: the "engine" remembers the ONNX file it was built from and the
execution context runs it with ONNX Runtime on the CPU over simulated device memory, so
a session's outputs can be compared with the CPU path. CUDA calls check that a context
is current (a real driver fails without one), and TensorRT 8.6 turns INT64 inputs into
INT32 as its ONNX parser does.
"""

from __future__ import annotations

import enum
import importlib.machinery
import json
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

MAGIC = b"STANDIN-TRT-ENGINE\n"


class Recorder:
    """The calls made, in order, as ``Class.method`` with their arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __call__(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def args(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.calls if n == name]


# ---------------------------------------------------------------- pycuda.driver


class _Cuda:
    """State of the simulated driver: memory, context stack."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.memory: dict[int, bytearray] = {}
        self.next_ptr = 0x1000
        self.stack: list[Any] = []
        self.initialized = False

    def need_context(self, what: str) -> None:
        if not self.initialized:
            raise RuntimeError(f"cuInit has not been called before {what}")
        if not self.stack:
            raise RuntimeError(f"{what}: invalid device context (no context is current)")


def make_pycuda(rec: Recorder, gpu: str = "Orin", sms: int = 8) -> tuple[types.ModuleType, _Cuda]:
    state = _Cuda(rec)

    class device_attribute(enum.IntEnum):
        MULTIPROCESSOR_COUNT = 16
        COMPUTE_CAPABILITY_MAJOR = 75
        COMPUTE_CAPABILITY_MINOR = 76

    class Context:
        def push(self) -> None:
            rec("Context.push")
            state.stack.append(self)

        @staticmethod
        def pop() -> None:
            rec("Context.pop")
            state.stack.pop()

        def detach(self) -> None:
            rec("Context.detach")

    class Device:
        def __init__(self, ordinal: int) -> None:
            if not state.initialized:
                raise RuntimeError("cuInit has not been called")
            self.ordinal = ordinal

        @staticmethod
        def count() -> int:
            return 1

        def name(self) -> str:
            return gpu

        def compute_capability(self) -> tuple[int, int]:
            return (8, 7)

        def get_attribute(self, attr: device_attribute) -> int:
            return {device_attribute.MULTIPROCESSOR_COUNT: sms,
                    device_attribute.COMPUTE_CAPABILITY_MAJOR: 8,
                    device_attribute.COMPUTE_CAPABILITY_MINOR: 7}[attr]

        def retain_primary_context(self) -> Context:
            rec("Device.retain_primary_context")
            return Context()

    class DeviceAllocation:
        def __init__(self, ptr: int) -> None:
            self._ptr = ptr

        def __int__(self) -> int:
            return self._ptr

        def free(self) -> None:
            state.need_context("DeviceAllocation.free")
            rec("DeviceAllocation.free", self._ptr)
            del state.memory[self._ptr]

    class Stream:
        def __init__(self, flags: int = 0) -> None:
            state.need_context("Stream")
            self.handle = 0xBEEF

        def synchronize(self) -> None:
            rec("Stream.synchronize")

    def init(flags: int = 0) -> None:
        rec("init")
        state.initialized = True

    def mem_alloc(nbytes: int) -> DeviceAllocation:
        state.need_context("mem_alloc")
        rec("mem_alloc", nbytes)
        ptr = state.next_ptr
        state.next_ptr += (nbytes + 255) // 256 * 256 + 256
        state.memory[ptr] = bytearray(nbytes)
        return DeviceAllocation(ptr)

    def memcpy_htod(dest: Any, src: Any) -> None:
        state.need_context("memcpy_htod")
        data = memoryview(np.ascontiguousarray(src)).cast("B")
        buf = state.memory[int(dest)]
        if len(data) > len(buf):
            raise RuntimeError("memcpy_htod: copy past the end of the allocation")
        buf[: len(data)] = data
        rec("memcpy_htod", int(dest), len(data))

    def memcpy_dtoh(dest: np.ndarray, src: Any) -> None:
        state.need_context("memcpy_dtoh")
        buf = state.memory[int(src)]
        view = memoryview(dest).cast("B")
        view[:] = buf[: len(view)]
        rec("memcpy_dtoh", int(src), len(view))

    driver = types.ModuleType("pycuda.driver")
    for name, value in {
        "init": init, "Device": Device, "Context": Context, "Stream": Stream,
        "DeviceAllocation": DeviceAllocation, "mem_alloc": mem_alloc,
        "memcpy_htod": memcpy_htod, "memcpy_dtoh": memcpy_dtoh,
        "device_attribute": device_attribute,
    }.items():
        setattr(driver, name, value)
    driver.__spec__ = importlib.machinery.ModuleSpec("pycuda.driver", None)
    return driver, state


# ---------------------------------------------------------------- tensorrt


def _onnx_io(path: Path) -> tuple[list[tuple[str, tuple[int, ...], int]], list[str]]:
    """(name, shape with -1 for dynamic dims, ONNX elem type) of inputs; output names."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1
                     for d in vi.type.tensor_type.shape.dim)
        inputs.append((vi.name, dims, vi.type.tensor_type.elem_type))
    return inputs, [o.name for o in model.graph.output]


def make_tensorrt(version: str, rec: Recorder, cuda: _Cuda) -> types.ModuleType:
    """A ``tensorrt`` module of generation ``version`` (``8.6.2`` or ``10.3.0``)."""
    major = int(version.split(".")[0])

    class DataType(enum.IntEnum):
        FLOAT = 0
        HALF = 1
        INT8 = 2
        INT32 = 3
        BOOL = 4
        UINT8 = 5
        if major >= 10:
            INT64 = 9

    onnx_to_trt = {1: DataType.FLOAT, 10: DataType.HALF, 3: DataType.INT8, 6: DataType.INT32,
                   9: DataType.BOOL, 2: DataType.UINT8,
                   # TensorRT 8.6's parser casts INT64 inputs to INT32; 10 keeps INT64
                   7: DataType.INT64 if major >= 10 else DataType.INT32}
    to_numpy = {DataType.FLOAT: np.float32, DataType.HALF: np.float16, DataType.INT8: np.int8,
                DataType.INT32: np.int32, DataType.BOOL: np.bool_, DataType.UINT8: np.uint8}
    if major >= 10:
        to_numpy[DataType.INT64] = np.int64

    def nptype(trt_type: DataType) -> type:
        return to_numpy[trt_type]

    class TensorIOMode(enum.IntEnum):
        NONE = 0
        INPUT = 1
        OUTPUT = 2

    class NetworkDefinitionCreationFlag(enum.IntEnum):
        EXPLICIT_BATCH = 0
        if major < 10:
            EXPLICIT_PRECISION = 1
        if major >= 10:
            STRONGLY_TYPED = 1  # added in 9.x: absent from 8.6

    class BuilderFlag(enum.IntEnum):
        FP16 = 0
        INT8 = 1
        DEBUG = 2
        GPU_FALLBACK = 3

    class MemoryPoolType(enum.IntEnum):
        WORKSPACE = 0
        DLA_MANAGED_SRAM = 1

    class Logger:
        VERBOSE = 4
        INFO = 3
        WARNING = 2
        ERROR = 1
        INTERNAL_ERROR = 0

        def __init__(self, min_severity: int = WARNING) -> None:
            self.min_severity = min_severity

    class IHostMemory:
        def __init__(self, data: bytes) -> None:
            self._data = data
            self.nbytes = len(data)

        def __bytes__(self) -> bytes:  # the real one exposes the buffer protocol
            return self._data

    class ITensor:
        def __init__(self, name: str, shape: tuple[int, ...], dtype: DataType) -> None:
            self.name, self.shape, self.dtype = name, shape, dtype

    class INetworkDefinition:
        def __init__(self, flags: int) -> None:
            self.flags = flags
            self._inputs: list[ITensor] = []
            self.onnx = ""

        @property
        def num_inputs(self) -> int:
            return len(self._inputs)

        def get_input(self, index: int) -> ITensor:
            return self._inputs[index]

    class ParserError:
        def __init__(self, desc: str) -> None:
            self._desc = desc

        def desc(self) -> str:
            return self._desc

        def code(self) -> int:
            return 1

    class OnnxParser:
        def __init__(self, network: INetworkDefinition, logger: Logger) -> None:
            self._network = network
            self._errors: list[ParserError] = []

        def parse_from_file(self, model: str) -> bool:
            rec("OnnxParser.parse_from_file", model)
            try:
                inputs, _ = _onnx_io(Path(model))
            except Exception as exc:
                self._errors.append(ParserError(str(exc)))
                return False
            self._network.onnx = model
            self._network._inputs = [ITensor(n, s, onnx_to_trt[t]) for n, s, t in inputs]
            return True

        @property
        def num_errors(self) -> int:
            return len(self._errors)

        def get_error(self, index: int) -> ParserError:
            return self._errors[index]

    class IOptimizationProfile:
        def __init__(self) -> None:
            self.shapes: dict[str, tuple[tuple[int, ...], ...]] = {}

        def set_shape(self, input: str, min: Any, opt: Any, max: Any) -> None:
            rec("IOptimizationProfile.set_shape", input, tuple(min), tuple(opt), tuple(max))
            self.shapes[input] = (tuple(min), tuple(opt), tuple(max))

        def get_shape(self, input: str) -> list[tuple[int, ...]]:
            return list(self.shapes[input])

    class ITimingCache:
        def __init__(self, data: bytes) -> None:
            self._data = data or b"timing:"

        def serialize(self) -> IHostMemory:
            return IHostMemory(self._data + b"+")

        def combine(self, input_cache: ITimingCache, ignore_mismatch: bool) -> bool:
            return True

        def reset(self) -> bool:
            return True

    class IBuilderConfig:
        def __init__(self) -> None:
            self.flags: set[BuilderFlag] = set()
            self.pools: dict[MemoryPoolType, int] = {}
            self.profiles: list[IOptimizationProfile] = []
            self.timing: ITimingCache | None = None

        def set_memory_pool_limit(self, pool: MemoryPoolType, pool_size: int) -> None:
            rec("IBuilderConfig.set_memory_pool_limit", pool, pool_size)
            self.pools[pool] = pool_size

        def get_memory_pool_limit(self, pool: MemoryPoolType) -> int:
            return self.pools.get(pool, 0)

        def set_flag(self, flag: BuilderFlag) -> None:
            rec("IBuilderConfig.set_flag", flag)
            self.flags.add(flag)

        def get_flag(self, flag: BuilderFlag) -> bool:
            return flag in self.flags

        def clear_flag(self, flag: BuilderFlag) -> None:
            self.flags.discard(flag)

        def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
            rec("IBuilderConfig.add_optimization_profile")
            self.profiles.append(profile)
            return len(self.profiles) - 1

        def create_timing_cache(self, serialized_timing_cache: bytes) -> ITimingCache:
            rec("IBuilderConfig.create_timing_cache", bytes(serialized_timing_cache))
            return ITimingCache(bytes(serialized_timing_cache))

        def set_timing_cache(self, cache: ITimingCache, ignore_mismatch: bool) -> bool:
            rec("IBuilderConfig.set_timing_cache", ignore_mismatch)
            self.timing = cache
            return True

    if major < 10:
        IBuilderConfig.max_workspace_size = 0  # type: ignore[attr-defined]  # deprecated in 8.x

    class Builder:
        def __init__(self, logger: Logger) -> None:
            rec("Builder")

        def create_network(self, flags: int = 0) -> INetworkDefinition:
            rec("Builder.create_network", flags)
            return INetworkDefinition(flags)

        def create_builder_config(self) -> IBuilderConfig:
            return IBuilderConfig()

        def create_optimization_profile(self) -> IOptimizationProfile:
            return IOptimizationProfile()

        def build_serialized_network(self, network: INetworkDefinition,
                                     config: IBuilderConfig) -> IHostMemory | None:
            rec("Builder.build_serialized_network")
            explicit = 1 << NetworkDefinitionCreationFlag.EXPLICIT_BATCH
            if major < 10 and not network.flags & explicit:
                return None  # 8.x's ONNX parser needs an explicit-batch network
            if len(config.profiles) != 1:
                return None
            dynamic = [t.name for t in network._inputs if any(d < 0 for d in t.shape)]
            profile = config.profiles[0].shapes
            if any(name not in profile for name in dynamic):
                return None  # "Network has dynamic inputs, but no optimization profile"
            doc = {"version": version, "onnx": network.onnx,
                   "inputs": [[t.name, int(t.dtype)] for t in network._inputs],
                   "profile": {k: [list(s) for s in v] for k, v in profile.items()},
                   "flags": sorted(int(f) for f in config.flags)}
            return IHostMemory(MAGIC + json.dumps(doc).encode())

    if major < 10:
        def build_engine(self: Builder, network: Any, config: Any) -> Any:  # removed in 10
            raise AssertionError("deprecated: use build_serialized_network")

        Builder.build_engine = build_engine  # type: ignore[attr-defined]
        Builder.max_batch_size = 1  # type: ignore[attr-defined]

    class IExecutionContext:
        def __init__(self, engine: ICudaEngine) -> None:
            self.engine = engine
            self._shapes: dict[str, tuple[int, ...]] = {}
            self._addresses: dict[str, int] = {}
            self._outputs: dict[str, np.ndarray] | None = None

        def set_input_shape(self, name: str, shape: Any) -> bool:
            rec("IExecutionContext.set_input_shape", name, tuple(shape))
            lo, _, hi = self.engine._profile.get(name, (tuple(shape),) * 3)
            if len(shape) != len(lo) or any(not a <= s <= b for a, s, b in zip(lo, shape, hi)):
                return False  # outside the optimization profile
            self._shapes[name] = tuple(int(d) for d in shape)
            self._outputs = None
            return True

        def _infer(self) -> dict[str, np.ndarray]:
            """Run the ONNX model on zeros or the bound inputs (ORT CPU)."""
            import onnxruntime as ort

            sess = ort.InferenceSession(self.engine._onnx, providers=["CPUExecutionProvider"])
            feeds = {}
            for inp in sess.get_inputs():
                shape = self._shapes[inp.name]
                dtype = np.int64 if "int64" in inp.type else np.float32
                host = np.zeros(shape, dtype=self.engine._np[inp.name])
                ptr = self._addresses.get(inp.name)
                if ptr is not None:
                    raw = cuda.memory[ptr][: host.nbytes]
                    host = np.frombuffer(bytes(raw), dtype=host.dtype).reshape(shape)
                feeds[inp.name] = host.astype(dtype)
            names = [o.name for o in sess.get_outputs()]
            return dict(zip(names, sess.run(names, feeds), strict=True))

        def get_tensor_shape(self, name: str) -> tuple[int, ...]:
            if name in self.engine._inputs:
                return self._shapes.get(name, ())
            if len(self._shapes) < len(self.engine._inputs):
                return tuple(-1 for _ in range(2))  # unresolved until every input shape is set
            if self._outputs is None:
                self._outputs = self._infer()
            return tuple(self._outputs[name].shape)

        def set_tensor_address(self, name: str, memory: int) -> bool:
            rec("IExecutionContext.set_tensor_address", name)
            self._addresses[name] = int(memory)
            return True

        def get_tensor_address(self, name: str) -> int:
            return self._addresses.get(name, 0)

        def execute_async_v3(self, stream_handle: int) -> bool:
            cuda.need_context("execute_async_v3")
            rec("IExecutionContext.execute_async_v3", stream_handle)
            missing = [n for n in self.engine._names if n not in self._addresses]
            if missing:
                raise RuntimeError(f"tensor address not set for {missing}")
            out = self._infer()
            for name, value in out.items():
                arr = np.ascontiguousarray(value, dtype=self.engine._np[name])
                cuda.memory[self._addresses[name]][: arr.nbytes] = arr.tobytes()
            return True

        def execute_v2(self, bindings: list[int]) -> bool:
            raise AssertionError("the kiosk runs asynchronously on its stream")

    if major < 10:
        def _removed(name: str) -> Any:
            def call(self: Any, *args: Any) -> Any:
                raise AssertionError(f"{name}: the binding API is deprecated since 8.5")
            return call

        for legacy in ("set_binding_shape", "get_binding_shape", "execute_async_v2",
                       "execute_async"):
            setattr(IExecutionContext, legacy, _removed(legacy))

    class ICudaEngine:
        def __init__(self, doc: dict[str, Any]) -> None:
            self._onnx = doc["onnx"]
            self._inputs = [n for n, _ in doc["inputs"]]
            _, outputs = _onnx_io(Path(self._onnx))
            self._dtype = {n: DataType(t) for n, t in doc["inputs"]}
            self._dtype.update({n: DataType.FLOAT for n in outputs})
            self._np = {n: to_numpy[t] for n, t in self._dtype.items()}
            self._names = self._inputs + outputs
            self._profile = {k: tuple(tuple(s) for s in v) for k, v in doc["profile"].items()}

        @property
        def num_io_tensors(self) -> int:
            return len(self._names)

        def get_tensor_name(self, index: int) -> str:
            return self._names[index]

        def get_tensor_mode(self, name: str) -> TensorIOMode:
            return TensorIOMode.INPUT if name in self._inputs else TensorIOMode.OUTPUT

        def get_tensor_dtype(self, name: str) -> DataType:
            return self._dtype[name]

        def get_tensor_shape(self, name: str) -> tuple[int, ...]:
            return (-1, -1)

        def create_execution_context(self) -> IExecutionContext:
            cuda.need_context("create_execution_context")
            rec("ICudaEngine.create_execution_context")
            return IExecutionContext(self)

    if major < 10:
        for legacy in ("num_bindings", "max_batch_size"):
            setattr(ICudaEngine, legacy, 0)
        for legacy in ("get_binding_shape", "get_binding_dtype", "binding_is_input",
                       "get_binding_name", "get_binding_index"):
            setattr(ICudaEngine, legacy, _removed(legacy))

    class Runtime:
        def __init__(self, logger: Logger) -> None:
            rec("Runtime")

        def deserialize_cuda_engine(self, serialized_engine: bytes) -> ICudaEngine | None:
            cuda.need_context("deserialize_cuda_engine")
            rec("Runtime.deserialize_cuda_engine")
            data = bytes(serialized_engine)
            if not data.startswith(MAGIC):
                return None  # the real runtime logs "magic tag does not match" and returns None
            doc = json.loads(data[len(MAGIC):])
            if doc["version"] != version:
                return None  # built by another TensorRT
            return ICudaEngine(doc)

    trt = types.ModuleType("tensorrt")
    for name, value in {
        "__version__": version, "Logger": Logger, "Builder": Builder, "Runtime": Runtime,
        "OnnxParser": OnnxParser, "NetworkDefinitionCreationFlag": NetworkDefinitionCreationFlag,
        "BuilderFlag": BuilderFlag, "MemoryPoolType": MemoryPoolType, "DataType": DataType,
        "TensorIOMode": TensorIOMode, "nptype": nptype, "IHostMemory": IHostMemory,
        "ICudaEngine": ICudaEngine, "IExecutionContext": IExecutionContext,
        "IBuilderConfig": IBuilderConfig, "INetworkDefinition": INetworkDefinition,
    }.items():
        setattr(trt, name, value)
    trt.__spec__ = importlib.machinery.ModuleSpec("tensorrt", None)
    return trt


@contextmanager
def installed(monkeypatch: pytest.MonkeyPatch, version: str) -> Iterator[tuple[Recorder, _Cuda]]:
    """Put both stand-ins in ``sys.modules`` for the duration (and clear cached loggers)."""
    from appliance.runtime import trt_build

    rec = Recorder()
    driver, state = make_pycuda(rec)
    pycuda = types.ModuleType("pycuda")
    pycuda.__path__ = []  # a package, as the real one is
    pycuda.__spec__ = importlib.machinery.ModuleSpec("pycuda", None, is_package=True)
    pycuda.driver = driver  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "pycuda", pycuda)
    monkeypatch.setitem(__import__("sys").modules, "pycuda.driver", driver)
    monkeypatch.setitem(__import__("sys").modules, "tensorrt", make_tensorrt(version, rec, state))
    trt_build.trt_logger.cache_clear()
    try:
        yield rec, state
    finally:
        trt_build.trt_logger.cache_clear()
