"""The memory bench loads every real engine in a fresh interpreter and reports its RSS."""

from __future__ import annotations

from appliance.bench.runtime import ORIN_NANO_8GB_BUDGET_MB, bench_memory


def test_memory_bench_reports_peak_rss_of_every_engine_from_a_child() -> None:
    report = bench_memory(quick=True)
    assert report["peak_rss_all_engines_mb"] > 0
    assert report["peak_rss_all_engines_mb"] >= report["rss_engines_loaded_mb"] > 0
    assert report["orin_nano_8gb_budget_mb"] == ORIN_NANO_8GB_BUDGET_MB
    assert isinstance(report["fits_orin_nano_8gb"], bool)
    # the real engines make run uses, not fallbacks, and the turn went through them
    assert set(report["memory_probe"]["engines"]) == {
        "vad", "asr", "nlu", "safety", "qa", "tts", "lipsync"}
    assert "keyword" not in report["memory_probe"]["engines"].values()
    assert report["memory_probe"]["turns_answered"] == 1
