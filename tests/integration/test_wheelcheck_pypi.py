"""The real aarch64 / cp310 resolution against PyPI (skipped when PyPI is unreachable)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from provisioning import wheelcheck

ROOT = Path(__file__).resolve().parents[2]


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not pypi_reachable(), reason="PyPI is not reachable from here")
def test_runtime_dependencies_have_aarch64_wheels() -> None:
    result = wheelcheck.check(ROOT / "pyproject.toml")
    why = f"no aarch64/cp310 wheel for: {result['missing']}\n{result['pip_messages']}"
    assert result["ok"], why
    assert "onnxruntime" in result["resolved"]
    assert "aarch64" in result["resolved"]["onnxruntime"]
