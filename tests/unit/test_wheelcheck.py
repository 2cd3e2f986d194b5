"""The aarch64 wheel check's logic, with pip's answers scripted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioning import wheelcheck

PYPROJECT = """
[project]
name = "x"
dependencies = ["numpy>=1.24", "vosk>=0.3", "tomli>=2; python_version < '3.11'",
                "winonly; sys_platform == 'win32'"]
[project.optional-dependencies]
audio = ["pyaudio>=0.2.13"]
jetson = ["tensorrt"]
"""


def write(tmp_path: Path) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    return path


def test_requirements_are_evaluated_for_jetpack(tmp_path: Path) -> None:
    names = [r.name for r in wheelcheck.runtime_requirements(write(tmp_path))]
    assert names == ["numpy", "vosk", "tomli", "pyaudio"]  # no win32, no [jetson]


def test_missing_names_from_pip_messages() -> None:
    text = ("ERROR: No matching distribution found for Foo_Bar\n"
            "some packages ... no matching distributions available for your environment:\n"
            "    srt\n")
    assert wheelcheck.missing_names(text) == ["foo-bar", "srt"]


def fake_pip(blockers: set[str]) -> Any:
    def resolve(reqs: list[str], stubs: Path, work: Path) -> tuple[dict[str, Any] | None, str]:
        stubbed = {p.name.split("-")[0].replace("_", "-") for p in stubs.glob("*.whl")}
        for name in sorted(blockers - stubbed):
            return None, f"ERROR: No matching distribution found for {name}"
        install = [{"metadata": {"name": n}, "download_info": {"url": f"https://x/{n}.whl"}}
                   for n in ("numpy", "vosk", "tomli", *sorted(stubbed))]
        return {"install": install}, ""
    return resolve


def test_allowlisted_blockers_pass_and_are_explained(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wheelcheck, "pip_resolve", fake_pip({"pyaudio", "srt"}))
    result = wheelcheck.check(write(tmp_path))
    assert result["ok"] is True and result["missing"] == []
    assert set(result["allowlisted"]) == {"pyaudio", "srt"}
    assert "python3-pyaudio" in result["allowlisted"]["pyaudio"]
    assert "pyaudio" not in result["resolved"] and "numpy" in result["resolved"]


def test_unknown_blockers_fail_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wheelcheck, "pip_resolve", fake_pip({"pyaudio", "oddlib", "weird-thing"}))
    result = wheelcheck.check(write(tmp_path))
    assert result["ok"] is False
    assert result["missing"] == ["oddlib", "weird-thing"]
    assert wheelcheck.main(["--pyproject", str(write(tmp_path))]) == 1


def test_stub_wheel_is_installable_metadata(tmp_path: Path) -> None:
    import zipfile

    path = wheelcheck.stub_wheel(tmp_path, "systemd-python")
    with zipfile.ZipFile(path) as whl:
        meta = whl.read("systemd_python-9999.dist-info/METADATA").decode()
    assert "Name: systemd-python" in meta
