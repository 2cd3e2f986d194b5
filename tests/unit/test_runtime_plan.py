"""``models plan``: every model's backends in the order tried, each with why (not)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from appliance.runtime import plan as plan_mod
from appliance.runtime.backends import TENSORRT, Capabilities
from appliance.runtime.manifest import load_manifest
from appliance.runtime.plan import plan_all

CPU_ONLY = Capabilities(ort_version="1.x", ort_providers=("CPUExecutionProvider",),
                        notes={TENSORRT: "python module tensorrt not installed"})
JETSON = Capabilities(tensorrt_version="10.3.0", pycuda=True, gpu_name="Orin",
                      gpu_detail="sm87-8sm-NVIDIA Jetson Orin Nano", ort_version="1.x",
                      ort_providers=("TensorrtExecutionProvider", "CUDAExecutionProvider",
                                     "CPUExecutionProvider"))


def by_role(doc: dict) -> dict[str, dict]:
    return {m["role"]: m for m in doc["models"] if m["model"] != "vosk-ko"}


def test_cpu_machine_names_the_cpu_and_why_not_each_gpu_backend() -> None:
    roles = by_role(plan_all(load_manifest(overlay=False), CPU_ONLY))
    assert set(roles) == {"vad", "asr", "tts", "encoder"}
    for role in ("vad", "tts", "encoder"):
        rows = roles[role]["backends"]
        assert [r["backend"] for r in rows] == ["tensorrt", "ort-tensorrt", "ort-cuda", "ort-cpu"]
        assert roles[role]["chosen"] == "ort-cpu"
        assert all(r["reason"] for r in rows)
    assert roles["encoder"]["backends"][-1]["precision"] == "int8"


def test_jetson_plan_puts_tensorrt_first_and_asr_on_ctranslate2_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plan_mod, "ct2_cuda_devices", lambda: (1, ""))
    roles = by_role(plan_all(load_manifest(overlay=False), JETSON))
    for role in ("vad", "tts", "encoder"):
        assert roles[role]["chosen"] == "tensorrt"
        assert roles[role]["backends"][0]["precision"] == "fp16"
    asr = roles["asr"]
    assert asr["chosen"] == "ct2-cuda" and asr["backends"][0]["precision"] == "fp16"
    assert [r["backend"] for r in asr["backends"][:2]] == ["ct2-cuda", "ct2-cpu"]
    assert not any(r["available"] for r in asr["backends"][2:])  # not an ONNX model


def test_cli_prints_the_plan_as_json() -> None:
    import json

    from provisioning.cli import app

    result = CliRunner().invoke(app, ["models", "plan", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {m["role"] for m in doc["models"]} >= {"vad", "asr", "tts", "encoder"}
