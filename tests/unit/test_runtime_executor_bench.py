"""The per-engine executor, and the runtime bench on the tiny model (structure, not speed)."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest

from appliance.bench.runtime import bench_model, sample_feeds
from appliance.runtime.executor import EngineExecutor
from appliance.runtime.store import sha256_file
from appliance.runtime.testing import tiny_onnx, tiny_spec


async def test_engine_executor_runs_everything_on_one_named_thread() -> None:
    with EngineExecutor("vad") as ex:
        names = await asyncio.gather(*(ex.run(lambda: threading.current_thread().name)
                                       for _ in range(5)))
        assert len(set(names)) == 1 and names[0].startswith("engine-vad")
        assert ex.submit(lambda x: x * 2, 21) == 42


def test_bench_reports_latency_for_each_available_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "site" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    model = tiny_onnx(pkg / "data" / "tiny.onnx")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "root"))
    sys.modules.pop("kiosk_tiny_models", None)
    spec = tiny_spec(files={"tiny.onnx": sha256_file(model)})
    assert sample_feeds(spec)["x"].shape == (1, 4)
    rows = bench_model(spec, quick=True)
    row = rows["ort-cpu/fp32"]
    assert row["latency_ms"]["p50"] > 0 and row["latency_ms"]["p95"] >= row["latency_ms"]["p50"]
    assert row["runs_per_s"] > 0
