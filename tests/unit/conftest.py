"""Fixtures shared by the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh device filesystem (KIOSK_ROOT): a machine id and an /etc,
    as a freshly imaged box has before `kiosk-provision` runs."""
    base = tmp_path / "root"
    (base / "etc").mkdir(parents=True)
    (base / "etc/machine-id").write_text("a1b2c3d4e5f60718293a4b5c6d7e8f90\n")
    monkeypatch.setenv("KIOSK_ROOT", str(base))
    return base
