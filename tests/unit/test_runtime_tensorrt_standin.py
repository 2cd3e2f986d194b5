"""``build_engine`` and ``TrtSession`` against stand-ins of TensorRT 8.6 and 10 + pycuda.

No GPU here: the stand-ins (``trt_standin``) have only the names the real modules
have in each generation, record every call and compute with ONNX Runtime, so a
misnamed or removed call fails and the outputs are checked against the CPU path.
``make gpu-check`` runs the same code on a real GPU.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from trt_standin import Recorder, installed, make_pycuda, make_tensorrt

from appliance.errors import EngineError
from appliance.runtime.backends import ORT_CPU, TENSORRT, Capabilities
from appliance.runtime.engine_cache import EngineCache
from appliance.runtime.factory import create_session
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.store import sha256_file
from appliance.runtime.testing import tiny_onnx, tiny_spec
from appliance.runtime.trt_build import build_engine, engine_key

GENERATIONS = ("8.6.2", "10.3.0")  # JetPack 6.0 and JetPack 6.1+
REMOVED_IN_10 = {
    "ICudaEngine": ("num_bindings", "get_binding_shape", "get_binding_dtype", "binding_is_input",
                    "get_binding_name", "get_binding_index", "max_batch_size"),
    "IExecutionContext": ("set_binding_shape", "get_binding_shape", "execute_async_v2"),
    "Builder": ("build_engine", "max_batch_size"),
    "IBuilderConfig": ("max_workspace_size",),
}
USED = {
    "ICudaEngine": ("num_io_tensors", "get_tensor_name", "get_tensor_mode", "get_tensor_dtype",
                    "create_execution_context"),
    "IExecutionContext": ("set_input_shape", "get_tensor_shape", "set_tensor_address",
                          "execute_async_v3"),
    "Builder": ("create_network", "create_builder_config", "create_optimization_profile",
                "build_serialized_network"),
    "IBuilderConfig": ("set_memory_pool_limit", "set_flag", "add_optimization_profile",
                       "create_timing_cache", "set_timing_cache"),
}


def caps_for(version: str) -> Capabilities:
    return Capabilities(tensorrt_version=version, pycuda=True, gpu_name="Orin",
                        gpu_detail="sm87-8sm-NVIDIA Jetson Orin Nano", ort_version="1.x",
                        ort_providers=("CPUExecutionProvider",))


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    """The tiny real model with an fp32 and a (same-graph) Q/DQ file, in a package."""
    pkg = tmp_path / "site" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    fp32 = tiny_onnx(pkg / "data" / "tiny.onnx")
    qdq = tiny_onnx(pkg / "data" / "tiny-qdq.onnx")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "root"))
    sys.modules.pop("kiosk_tiny_models", None)
    return tiny_spec(files={"tiny.onnx": sha256_file(fp32), "tiny-qdq.onnx": sha256_file(qdq)},
                     variants={"fp32": "tiny.onnx", "int8_qdq": "tiny-qdq.onnx"})


@pytest.mark.parametrize("version", GENERATIONS)
def test_the_standin_has_exactly_the_generations_api(version: str) -> None:
    rec = Recorder()
    _, state = make_pycuda(rec)
    trt = make_tensorrt(version, rec, state)
    for cls, names in USED.items():
        for name in names:
            assert hasattr(getattr(trt, cls), name), f"{version}: {cls}.{name}"
    for cls, names in REMOVED_IN_10.items():
        for name in names:
            assert hasattr(getattr(trt, cls), name) == version.startswith("8."), \
                f"{version}: {cls}.{name}"
    assert hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED") == \
        (not version.startswith("8."))
    with pytest.raises(AttributeError):  # a misnamed call fails as on the device
        trt.ICudaEngine.get_tensor_names  # noqa: B018


@pytest.mark.parametrize("version", GENERATIONS)
@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_build_engine_uses_the_generations_builder_api(
    version: str, precision: str, tiny: ModelSpec, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = EngineCache(tmp_path / "engines")
    import kiosk_tiny_models  # type: ignore[import-not-found]

    folder = Path(kiosk_tiny_models.__path__[0]) / "data"
    key = engine_key(tiny, precision, tiny.files["tiny.onnx"], "Orin", version)
    with installed(monkeypatch, version) as (rec, _):
        trt = sys.modules["tensorrt"]
        data = build_engine(tiny, folder / "tiny.onnx", precision, cache, key, folder)
    assert data.startswith(b"STANDIN-TRT-ENGINE")
    [(flags,)] = rec.args("Builder.create_network")
    explicit = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    assert bool(flags & explicit) == version.startswith("8.")  # opt-in before 10 only
    set_flags = {f.name for (f,) in rec.args("IBuilderConfig.set_flag")}
    assert set_flags == ({"FP16", "INT8"} if precision == "int8" else {"FP16"})
    [(parsed,)] = rec.args("OnnxParser.parse_from_file")
    assert Path(parsed).name == ("tiny-qdq.onnx" if precision == "int8" else "tiny.onnx")
    assert rec.args("IOptimizationProfile.set_shape") == [("x", (1, 4), (1, 4), (8, 4))]
    [(pool, size)] = rec.args("IBuilderConfig.set_memory_pool_limit")
    assert pool.name == "WORKSPACE" and size == 1 << 30
    assert rec.args("IBuilderConfig.set_timing_cache") == [(False,)]
    assert cache.timing_cache_path("Orin", version).read_bytes().startswith(b"timing:")


def test_build_fails_loudly_without_a_profile_for_a_dynamic_input(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import kiosk_tiny_models  # type: ignore[import-not-found]

    folder = Path(kiosk_tiny_models.__path__[0]) / "data"
    bare = dataclasses.replace(tiny, inputs=(dataclasses.replace(
        tiny.inputs[0], min=None, opt=None, max=None),))
    key = engine_key(bare, "fp16", "ab" * 32, "Orin", "10.3.0")
    with installed(monkeypatch, "10.3.0"), pytest.raises(RuntimeError, match="min/opt/max"):
        build_engine(bare, folder / "tiny.onnx", "fp16", EngineCache(tmp_path / "e"), key, folder)


@pytest.mark.parametrize("version", GENERATIONS)
def test_trt_session_through_the_factory_matches_the_cpu(
    version: str, tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    x = np.array([[-1.0, 0.0, 2.0, 3.5], [4.0, -5.0, 0.5, 1.0]], dtype=np.float32)
    with create_session(tiny, "fp32", backend=ORT_CPU,
                        caps=Capabilities(ort_providers=("CPUExecutionProvider",))) as cpu:
        want = cpu.run({"x": x})["y"]
    cache = EngineCache(tmp_path / "engines")
    with installed(monkeypatch, version) as (rec, state):
        sess = create_session(tiny, "fp16", backend=TENSORRT, caps=caps_for(version), cache=cache)
        assert sess.backend == TENSORRT and "engine built now" in sess.reason
        assert sess.input_names == ["x"] and sess.output_names == ["y"]
        got = sess.run({"x": x})["y"]
        np.testing.assert_allclose(got, want)
        assert sess.run({"x": x[:1]})["y"].shape == (1, 4)  # a smaller batch reuses buffers
        with pytest.raises(EngineError, match="optimization profile"):
            sess.run({"x": np.zeros((9, 4), np.float32)})  # batch 9 > the manifest's max 8
        with pytest.raises(EngineError, match="missing input"):
            sess.run({})
        sess.close()
        assert not state.memory and not state.stack  # buffers freed, context popped
        again = create_session(tiny, "fp16", backend=TENSORRT, caps=caps_for(version),
                               cache=cache)
        assert "engine from cache" in again.reason
        again.close()
    names = rec.names()
    assert "IExecutionContext.execute_async_v3" in names
    assert names.count("Builder.build_serialized_network") == 1
    [entry] = cache.entries()
    assert entry["key"]["trt_version"] == version
    assert entry["key"]["gpu"] == "Orin|sm87-8sm-NVIDIA Jetson Orin Nano"


def test_an_engine_from_another_tensorrt_is_rebuilt_not_trusted(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = EngineCache(tmp_path / "engines")
    with installed(monkeypatch, "8.6.2"):
        create_session(tiny, "fp16", backend=TENSORRT, caps=caps_for("8.6.2"), cache=cache).close()
    with installed(monkeypatch, "10.3.0"):  # JetPack 6.0 -> 6.1: another key, another build
        sess = create_session(tiny, "fp16", backend=TENSORRT, caps=caps_for("10.3.0"),
                              cache=cache)
        assert "engine built now" in sess.reason
        sess.close()
    assert sorted(e["key"]["trt_version"] for e in cache.entries()) == ["10.3.0", "8.6.2"]
