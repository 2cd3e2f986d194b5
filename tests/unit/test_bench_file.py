"""``make bench`` keeps every earlier figure: new ones override, old ones stay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from appliance.bench import main as bench
from appliance.bench.main import merge_figures


def test_new_figures_override_and_unmeasured_ones_stay() -> None:
    old = {"latency_ms": {"ort-cpu": {"p50": 9.0}, "trt-fp16": {"p50": 1.0}}, "x": 1,
           "error": "boom"}
    new = {"latency_ms": {"ort-cpu": {"p50": 8.0}}, "y": 2}
    merged = merge_figures(old, new)
    assert merged["latency_ms"] == {"ort-cpu": {"p50": 8.0}, "trt-fp16": {"p50": 1.0}}
    assert merged["x"] == 1 and merged["y"] == 2
    assert "error" not in merged  # the area measured fine this time


def test_a_failing_area_keeps_its_last_figures(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "bench.json"
    out.write_text(json.dumps({"nlu": {"intent_accuracy": 0.97}, "fleet": {"msgs_per_s": 5}}))

    def broken(quick: bool = False) -> dict[str, Any]:
        raise RuntimeError("model missing")

    monkeypatch.setattr(bench, "area_modules", lambda: {})
    monkeypatch.setattr(bench, "bench_speech_loop", broken)
    # only the speech loop is measured, and it fails
    assert bench.main(["--out", str(out), "--only", "speech_loop"]) == 1
    data = json.loads(out.read_text())
    assert data["nlu"] == {"intent_accuracy": 0.97} and data["fleet"] == {"msgs_per_s": 5}
    assert "model missing" in data["speech_loop"]["error"]
    assert data["machine"]["cores"] and data["date"]
