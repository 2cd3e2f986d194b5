"""Shared test fixtures: marks for GPU/Jetson tests, a leak check, a tmp KIOSK_ROOT."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None and os.path.exists("/dev/nvidia0")


def _is_jetson() -> bool:
    return os.path.exists("/etc/nv_tegra_release")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu, jetson = _has_gpu(), _is_jetson()
    for item in items:
        if isinstance(item, pytest.Function) and asyncio.iscoroutinefunction(item.obj):
            item.fixturenames.append("no_leaked_tasks")
        if "gpu" in item.keywords and not gpu:
            item.add_marker(pytest.mark.skip(reason="needs an NVIDIA GPU"))
        if "device" in item.keywords and not jetson:
            item.add_marker(pytest.mark.skip(reason="needs a Jetson"))


@pytest.fixture
def kiosk_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway filesystem root for config and state (KIOSK_ROOT)."""
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
async def no_leaked_tasks() -> Iterator[None]:  # type: ignore[misc]
    """Fail any async test that leaves tasks running behind it."""
    yield
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks(loop) if t is not current and not t.done()]
    for task in left:
        task.cancel()
    assert not left, f"tasks left running: {[t.get_name() for t in left]}"
