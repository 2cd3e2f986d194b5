"""The site pack's ``sign_language`` key: checked against the lexicons the kiosk ships."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from appliance.cli.nlu import main
from appliance.sign.lexicon import load
from appliance.sitepack import bundled_sitepack_dir, check_sitepack
from appliance.sitepack.loader import sign_languages


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst)
    return dst


def _set(manifest: Path, value: str | None) -> int:
    """Set (or drop) ``sign_language:``; the 1-based line it is on."""
    lines = [ln for ln in manifest.read_text().splitlines()
             if not ln.startswith("sign_language:")]
    at = next(i for i, ln in enumerate(lines) if ln.startswith("currency:")) + 1
    if value is not None:
        lines.insert(at, f"sign_language: {value}")
    manifest.write_text("\n".join(lines) + "\n")
    return at + 1


def test_every_shipped_lexicon_is_a_sign_language() -> None:
    names = sign_languages()
    assert "asl" in names
    for name in names:
        assert load(name).language == name


def test_demo_pack_signs_asl() -> None:
    pack, problems = check_sitepack(bundled_sitepack_dir())
    assert pack is not None, problems
    assert pack.manifest.sign_language == "asl"


def test_good_value_and_no_value(pack_copy: Path) -> None:
    _set(pack_copy / "manifest.yaml", "ASL")
    pack, problems = check_sitepack(pack_copy)
    assert pack is not None, problems
    assert pack.manifest.sign_language == "asl"
    _set(pack_copy / "manifest.yaml", None)
    pack, problems = check_sitepack(pack_copy)
    assert pack is not None, problems
    assert pack.manifest.sign_language == ""


def test_bad_value_names_file_and_line(pack_copy: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    line = _set(pack_copy / "manifest.yaml", "klingon")
    pack, problems = check_sitepack(pack_copy)
    assert pack is None
    assert any(p.file == "manifest.yaml" and p.line == line and "klingon" in p.message
               for p in problems), problems
    assert main(["sitepack", "check", str(pack_copy)]) == 1
    out = capsys.readouterr().out
    assert f"manifest.yaml:{line}: error: sign_language 'klingon' has no lexicon" in out
    assert "one of asl" in out
