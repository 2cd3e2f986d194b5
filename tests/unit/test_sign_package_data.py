"""The sign lexicons ship: in the wheel (package data) and in the .deb (the code tree)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from appliance.settings import tomllib
from provisioning import debbuild

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "appliance" / "sign" / "data"


def test_every_lexicon_is_wheel_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["appliance"]
    lexicons = sorted(DATA.glob("*.yaml"))
    assert lexicons, "no lexicon in appliance/sign/data/"
    for path in lexicons:
        rel = path.relative_to(ROOT / "appliance").as_posix()
        assert any(fnmatch.fnmatch(rel, g) for g in globs), f"{rel} is not package data"


def test_the_deb_carries_the_lexicons(tmp_path: Path) -> None:
    debbuild._copy_code(tmp_path)
    staged = tmp_path / "usr/lib/kiosk/python/appliance/sign/data"
    assert sorted(p.name for p in staged.glob("*.yaml")) == sorted(
        p.name for p in DATA.glob("*.yaml"))
