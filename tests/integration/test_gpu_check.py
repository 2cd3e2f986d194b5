"""``make gpu-check`` on a real GPU: the small models built and compared (marked gpu)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.bench import gpu_check

pytestmark = [pytest.mark.gpu, pytest.mark.slow]


def test_vad_and_tts_agree_with_the_cpu_on_every_gpu_backend(tmp_path: Path) -> None:
    out = tmp_path / "gpu-check.json"
    status = gpu_check.main(["--only", "vad", "tts", "--out", str(out)])
    doc = json.loads(out.read_text())
    assert status == 0, doc
    for name in ("vad", "tts"):
        assert doc["checks"][name]["gpu"], f"{name}: no GPU backend ran"
