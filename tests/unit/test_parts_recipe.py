"""Recipe kind concat-parts: a model file split over packages is joined and hash-checked."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from appliance.runtime.errors import ModelHashError
from appliance.runtime.manifest import ModelSpec, SourceSpec
from appliance.runtime.parts_recipe import build_concat_parts


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def two_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    for name, data in (("kiosk_part_one", b"hello "), ("kiosk_part_two", b"world")):
        pkg = tmp_path / "site" / name
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"model.bin.{name[-3:]}").write_bytes(data)
    (tmp_path / "site" / "kiosk_part_one" / "data" / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in ("kiosk_part_one", "kiosk_part_two"):
        sys.modules.pop(name, None)
    source = SourceSpec(kind="recipe", package="kiosk-part-one", module="kiosk_part_one",
                        path="data", recipe="parts")
    return ModelSpec(name="joined", version="1", format="ctranslate2", licence="MIT",
                     precisions=("fp32",), source=source)


def _recipe(total: str) -> dict[str, object]:
    return {"kind": "concat-parts", "output": "model.bin", "sha256": total,
            "copy": ["config.json"],
            "parts": [{"file": "model.bin.one", "sha256": _sha(b"hello ")},
                      {"module": "kiosk_part_two", "path": "data", "file": "model.bin.two",
                       "sha256": _sha(b"world")}]}


def test_parts_are_joined_in_order_and_small_files_copied(two_packages: ModelSpec,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    figures = build_concat_parts(two_packages, _recipe(_sha(b"hello world")), out, lambda m: None)
    assert (out / "model.bin").read_bytes() == b"hello world"
    assert (out / "config.json").read_text() == "{}"
    assert figures["validation"]["bytes"] == 11


def test_a_wrong_result_hash_is_refused(two_packages: ModelSpec, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ModelHashError, match=r"joined model\.bin"):
        build_concat_parts(two_packages, _recipe(_sha(b"other")), out, lambda m: None)
