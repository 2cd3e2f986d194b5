"""The gpu-check script's CPU side, here: references computed, no GPU backend -> status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.bench import gpu_check
from appliance.runtime.backends import Capabilities

CPU_ONLY = Capabilities(ort_version="1.x", ort_providers=("CPUExecutionProvider",))


@pytest.mark.slow
def test_vad_and_tts_references_run_on_the_cpu() -> None:
    vad = gpu_check.check_vad(CPU_ONLY)
    assert vad["gpu"] == [] and 0 < vad["speech_windows_cpu"] < vad["windows"]
    tts = gpu_check.check_tts(CPU_ONLY)
    assert tts["gpu"] == [] and tts["samples_cpu"] > 22050  # > 1 s of speech


def test_a_machine_without_a_gpu_backend_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gpu_check, "probe", lambda: CPU_ONLY)
    out = tmp_path / "gpu-check.json"
    assert gpu_check.main(["--out", str(out)]) == 2
    doc = json.loads(out.read_text())
    assert not doc["ok"] and "no GPU backend" in doc["skipped"] and doc["checks"] == {}
