"""Build TensorRT engines from the manifest's ONNX files, on the device that runs them.

Precision, per TensorRT generation:

- **TensorRT 10** (JetPack 6): weakly typed network; ``fp16`` sets the FP16
  builder flag; ``int8`` builds from the recipe's Q/DQ model (static INT8,
  calibrated on the recipe's calibration set: explicit quantization) with the
  INT8 and FP16 flags.
- **TensorRT 11+**: builder precision flags and calibrators are gone; networks are
  strongly typed. ``fp16`` builds from an FP16 copy of the ONNX model (converted
  here with onnxruntime's float16 tool, I/O kept float32); ``int8`` from the same
  Q/DQ model.

Dynamic inputs get one optimization profile from the manifest's ``min``/``opt``/
``max`` shapes. A timing cache per GPU + TensorRT version makes rebuilds fast.
"""

from __future__ import annotations

import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from appliance.runtime.engine_cache import EngineCache, EngineKey
from appliance.runtime.manifest import ModelSpec

logger = logging.getLogger(__name__)

WORKSPACE_BYTES = 1 << 30


@lru_cache(maxsize=1)
def trt_logger() -> Any:
    import tensorrt as trt

    return trt.Logger(trt.Logger.WARNING)


def trt_major() -> int:
    import tensorrt as trt

    return int(str(trt.__version__).split(".")[0])


def _major_of(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return 10  # an unparsable version: assume JetPack 6's generation


def builder_flags(precision: str, trt_version: str) -> list[str]:
    """The builder options an engine of ``precision`` is built with, as stable words.

    :func:`build_engine` applies exactly these, and :func:`engine_key` puts them in the
    cache key, so a change of builder options can never reuse an engine built without it.
    """
    major = _major_of(trt_version)
    flags = []
    if major < 10:  # TensorRT 8 (JetPack 5): explicit batch is opt-in
        flags.append("explicit-batch")
    if major >= 11:  # precision comes from the (FP16 copy / Q/DQ) model itself
        flags.append("strongly-typed")
    else:
        if precision in ("fp16", "int8"):
            flags.append("fp16")
        if precision == "int8":
            flags.append("int8")  # honours the Q/DQ scales of the recipe's model
    flags.append(f"workspace={WORKSPACE_BYTES}")
    return flags


def profile_text(spec: ModelSpec) -> str:
    """The optimization profile the manifest gives ``spec``: ``name:min/opt/max;...``."""
    parts = []
    for t in spec.inputs:
        if t.min and t.opt and t.max:
            dims = ("x".join(str(d) for d in shape) for shape in (t.min, t.opt, t.max))
            parts.append(f"{t.name}:{'/'.join(dims)}")
        else:
            parts.append(f"{t.name}:{'x'.join(str(d) for d in t.shape)}")
    return ";".join(parts)


def engine_key(spec: ModelSpec, precision: str, model_sha256: str, gpu: str,
               trt_version: str) -> EngineKey:
    """The cache key of ``spec``'s engine at ``precision`` on this GPU and TensorRT."""
    return EngineKey(model_sha256=model_sha256, precision=precision, gpu=gpu,
                     trt_version=trt_version, profiles=profile_text(spec),
                     flags=",".join(builder_flags(precision, trt_version)))


def source_onnx(spec: ModelSpec, precision: str, folder: Path) -> Path:
    """The ONNX file an engine of ``precision`` is built from."""
    if precision == "int8" and "int8_qdq" in spec.variants:
        return folder / spec.variant("int8_qdq")
    return folder / spec.variant("fp32")


def _fp16_copy(onnx_path: Path, workdir: Path) -> Path:
    """FP16 weights/compute with FP32 I/O, for strongly typed TensorRT 11 networks."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(onnx_path)), keep_io_types=True)
    out = workdir / (onnx_path.stem + "-fp16.onnx")
    onnx.save(model, str(out))
    return out


def _profile(builder: Any, network: Any, spec: ModelSpec) -> Any:
    by_name = {t.name: t for t in spec.inputs}
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        shape = tuple(tensor.shape)
        t = by_name.get(tensor.name)
        if t is not None and t.min and t.opt and t.max:
            profile.set_shape(tensor.name, t.min, t.opt, t.max)
        elif any(d < 0 for d in shape):
            raise RuntimeError(f"{spec.name}: input {tensor.name} is dynamic {shape} but the "
                               "manifest gives no min/opt/max shapes")
        else:
            profile.set_shape(tensor.name, shape, shape, shape)
    return profile


def build_engine(
    spec: ModelSpec, onnx_fp32: Path, precision: str, cache: EngineCache, key: EngineKey,
    folder: Path, *, source: Path | None = None,
) -> bytes:
    """Serialize a TensorRT engine for ``spec`` at ``precision``; raises on failure.

    ``source``: the ONNX file to build from when it is not the manifest's own (a derived
    model, :mod:`appliance.runtime.derived`); ``key`` must then carry its sha256.
    """
    import tensorrt as trt

    major = trt_major()
    src = source or source_onnx(spec, precision, folder)
    if precision == "int8" and src.name == onnx_fp32.name:
        raise RuntimeError(f"{spec.name}: int8 needs the recipe's Q/DQ model (int8_qdq)")
    with tempfile.TemporaryDirectory(prefix="kiosk-trt-") as tmp:
        if precision == "fp16" and major >= 11:
            src = _fp16_copy(src, Path(tmp))
        wanted = builder_flags(precision, str(trt.__version__))
        builder = trt.Builder(trt_logger())
        flags = 0
        if "explicit-batch" in wanted:
            flags |= 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
        if "strongly-typed" in wanted:
            flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
        network = builder.create_network(flags)
        parser = trt.OnnxParser(network, trt_logger())
        if not parser.parse_from_file(str(src)):
            errors = "; ".join(str(parser.get_error(i).desc()) for i in range(parser.num_errors))
            raise RuntimeError(f"TensorRT cannot parse {src.name}: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, WORKSPACE_BYTES)
        if "fp16" in wanted:
            config.set_flag(trt.BuilderFlag.FP16)
        if "int8" in wanted:
            config.set_flag(trt.BuilderFlag.INT8)
        config.add_optimization_profile(_profile(builder, network, spec))
        timing_path = cache.timing_cache_path(key.gpu, key.trt_version)
        try:
            timing = config.create_timing_cache(timing_path.read_bytes())
        except (OSError, RuntimeError, TypeError):
            timing = config.create_timing_cache(b"")
        config.set_timing_cache(timing, ignore_mismatch=False)
        logger.info("building TensorRT %s engine for %s from %s (minutes on a Jetson)",
                    precision, spec.name, src.name)
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise RuntimeError(f"TensorRT failed to build {spec.name} at {precision}")
        timing_path.parent.mkdir(parents=True, exist_ok=True)
        tmp_timing = timing_path.with_name(timing_path.name + ".tmp")
        tmp_timing.write_bytes(bytes(timing.serialize()))
        os.replace(tmp_timing, timing_path)
        return bytes(serialized)
