"""Backend choice: each backend present or absent, fallback on load failure, the CPU for real."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from appliance.runtime.backends import (
    ORT_CPU,
    ORT_CUDA,
    ORT_TENSORRT,
    TENSORRT,
    Capabilities,
    probe_uncached,
)
from appliance.runtime.engine_cache import EngineCache
from appliance.runtime.errors import BackendUnavailableError
from appliance.runtime.factory import Candidate, create_session, plan
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.session import Session
from appliance.runtime.store import sha256_file
from appliance.runtime.testing import tiny_onnx, tiny_spec

CPU_ONLY = Capabilities(
    ort_version="1.x",
    ort_providers=("CPUExecutionProvider",),
    notes={TENSORRT: "python module tensorrt not installed"},
)
EVERYTHING = Capabilities(
    tensorrt_version="10.3.0",
    pycuda=True,
    gpu_name="Orin",
    ort_version="1.x",
    ort_providers=("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
)
CUDA_NO_TRT = Capabilities(
    ort_version="1.x", ort_providers=("CUDAExecutionProvider", "CPUExecutionProvider"),
    notes={TENSORRT: "python module tensorrt not installed"},
)


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    """A real tiny ONNX model inside an importable throwaway package."""
    pkg = tmp_path / "site" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    model = tiny_onnx(pkg / "data" / "tiny.onnx")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "root"))
    sys.modules.pop("kiosk_tiny_models", None)
    return tiny_spec(files={"tiny.onnx": sha256_file(model)})


def test_cpu_only_machine_plans_the_cpu_and_says_why_not_the_gpu(tiny: ModelSpec) -> None:
    cands, skipped = plan(tiny, "auto", CPU_ONLY)
    assert [c.backend for c in cands] == [ORT_CPU]
    assert cands[0].precision == "fp32"  # the tiny model has no int8 file
    reasons = {s["backend"]: s["reason"] for s in skipped}
    assert set(reasons) == {TENSORRT, ORT_TENSORRT, ORT_CUDA}
    assert "tensorrt not installed" in reasons[TENSORRT]
    assert "TensorrtExecutionProvider" in reasons[ORT_TENSORRT]


def test_full_gpu_machine_prefers_native_tensorrt_then_ort_providers(tiny: ModelSpec) -> None:
    cands, skipped = plan(tiny, "auto", EVERYTHING)
    assert [c.backend for c in cands] == [TENSORRT, ORT_TENSORRT, ORT_CUDA, ORT_CPU]
    assert [c.precision for c in cands] == ["fp16", "fp16", "fp32", "fp32"]
    assert skipped == []


def test_cuda_without_tensorrt_plans_cuda_then_cpu(tiny: ModelSpec) -> None:
    cands, _ = plan(tiny, "fp32", CUDA_NO_TRT)
    assert [c.backend for c in cands] == [ORT_CUDA, ORT_CPU]


def test_int8_without_a_calibrated_model_runs_fp16_on_tensorrt_and_says_so(
    tiny: ModelSpec,
) -> None:
    cands, _ = plan(tiny, "int8", EVERYTHING)
    assert cands[0].precision == "fp16" and "Q/DQ" in cands[0].reason
    assert cands[2].backend == ORT_CUDA and cands[2].precision == "fp32"


def test_int8_variants_pick_the_right_file_per_backend(tiny: ModelSpec) -> None:
    spec = tiny_spec(variants={"fp32": "a.onnx", "int8": "b.onnx", "int8_qdq": "c.onnx"})
    cands, _ = plan(spec, "int8", EVERYTHING)
    assert [(c.backend, c.precision) for c in cands] == [
        (TENSORRT, "int8"), (ORT_TENSORRT, "int8"), (ORT_CUDA, "fp32"), (ORT_CPU, "int8")
    ]
    auto, _ = plan(spec, "auto", CPU_ONLY)
    assert auto[0].precision == "int8"  # the CPU prefers the quantized file


def test_no_optimization_profile_skips_native_tensorrt_only() -> None:
    spec = tiny_spec(profiled=False)
    cands, skipped = plan(spec, "auto", EVERYTHING)
    assert [c.backend for c in cands] == [ORT_TENSORRT, ORT_CUDA, ORT_CPU]
    assert "optimization profile" in skipped[0]["reason"]


def test_backend_restriction_is_honoured_and_reported(tiny: ModelSpec) -> None:
    cands, skipped = plan(tiny, "auto", EVERYTHING, allow=[ORT_CPU])
    assert [c.backend for c in cands] == [ORT_CPU]
    assert all(s["reason"] == "not allowed by configuration" for s in skipped)


def test_a_failing_gpu_backend_falls_back_to_the_cpu(tiny: ModelSpec, tmp_path: Path) -> None:
    from appliance.runtime.factory import _open

    tried: list[str] = []

    def opener(spec: ModelSpec, cand: Candidate, caps: Capabilities, cache: EngineCache,
               threads: int) -> Session:
        tried.append(cand.backend)
        if cand.backend != ORT_CPU:
            raise RuntimeError(f"{cand.backend} exploded")
        return _open(spec, cand, caps, cache, threads)

    sess = create_session(tiny, caps=EVERYTHING, opener=opener,
                          cache=EngineCache(tmp_path / "engines"))
    assert tried == [TENSORRT, ORT_TENSORRT, ORT_CUDA, ORT_CPU]
    info = sess.describe()
    assert info["backend"] == ORT_CPU and info["providers"] == ["CPUExecutionProvider"]
    assert [s["backend"] for s in info["skipped"]] == [TENSORRT, ORT_TENSORRT, ORT_CUDA]
    assert all("exploded" in s["reason"] for s in info["skipped"])


def test_nothing_loadable_raises_a_coded_error(tiny: ModelSpec) -> None:
    def opener(*args: object) -> Session:
        raise RuntimeError("nope")

    with pytest.raises(BackendUnavailableError) as err:
        create_session(tiny, caps=CPU_ONLY, opener=opener)  # type: ignore[arg-type]
    assert err.value.code == "runtime-unavailable" and "nope" in str(err.value)


def test_real_cpu_session_runs_the_tiny_model(tiny: ModelSpec) -> None:
    with create_session(tiny, "fp32", caps=CPU_ONLY) as sess:
        x = np.array([[-1.0, 0.0, 1.0, 2.0]], dtype=np.float32)
        out = sess.run({"x": x})
        np.testing.assert_allclose(out["y"], [[1.0, 1.0, 2.0, 3.0]])
        assert sess.input_names == ["x"] and sess.output_names == ["y"]
        assert "ort-cpu" in sess.describe()["reason"]
        from appliance.runtime.health import health

        report = health()
        assert any(s["model"] == "tiny" and s["backend"] == ORT_CPU for s in report["sessions"])
        assert "CPUExecutionProvider" in report["capabilities"]["ort_providers"]


def test_this_machine_probe_works_without_tensorrt_or_pycuda() -> None:
    import appliance.runtime as rt
    import appliance.runtime.trt_session  # noqa: F401 - importable without tensorrt

    caps = probe_uncached()
    assert "CPUExecutionProvider" in caps.ort_providers
    assert caps.has(ORT_CPU)
    if caps.tensorrt_version is None:
        assert not caps.has(TENSORRT) and TENSORRT in caps.notes
    assert callable(rt.create_session)
