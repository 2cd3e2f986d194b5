"""Manifest parsing and hash verification: good, tampered and missing files."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from appliance.runtime.errors import ManifestError, ModelHashError, ModelNotFoundError
from appliance.runtime.manifest import Manifest, load_manifest, parse_model
from appliance.runtime.store import resolve, sha256_file, verify_all, verify_model
from appliance.runtime.testing import tiny_onnx, tiny_spec

EXPECTED = {"silero-vad", "whisper-tiny-en", "piper-en-us-joe-medium", "vosk-ko",
            "sentence-encoder"}


@pytest.fixture
def pkg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An importable package holding the tiny model under data/."""
    root = tmp_path / "site" / "kiosk_tiny_models"
    (root / "data").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    tiny_onnx(root / "data" / "tiny.onnx")
    (root / "data" / "tiny.json").write_text('{"sample_rate": 16000}')
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "root"))
    sys.modules.pop("kiosk_tiny_models", None)
    return root / "data"


def _spec(data: Path):  # type: ignore[no-untyped-def]
    files = {p.name: sha256_file(p) for p in data.iterdir()}
    return tiny_spec(files=files)


def test_the_shipped_manifest_lists_every_model_with_hashes_and_licence() -> None:
    manifest = load_manifest(overlay=False)
    assert {s.name for s in manifest} >= EXPECTED
    for spec in manifest:
        assert spec.licence and spec.version and spec.source.package
        for digest in [*spec.files.values(), *spec.source.inputs.values()]:
            assert re.fullmatch(r"[0-9a-f]{64}", digest)
    enc = manifest["sentence-encoder"]
    assert enc.source.kind == "recipe" and {"fp32", "int8", "int8_qdq"} <= set(enc.variants)
    assert all(t.min and t.max for t in enc.inputs)


def test_the_package_models_on_this_machine_match_the_manifest() -> None:
    manifest = load_manifest(overlay=False)
    packaged = Manifest({s.name: s for s in manifest if s.source.kind == "package"}, [])
    report = verify_all(packaged)
    assert report.ok, report.to_dict()
    assert {m.name for m in report.models} == EXPECTED - {"sentence-encoder"}


def test_good_files_verify(pkg: Path) -> None:
    report = verify_model(_spec(pkg))
    assert report.ok and report.files == 2
    assert resolve(_spec(pkg)) == pkg / "tiny.onnx"


def test_a_tampered_file_is_named(pkg: Path) -> None:
    spec = _spec(pkg)
    (pkg / "tiny.json").write_text('{"sample_rate": 8000}')
    report = verify_model(spec)
    assert not report.ok
    [problem] = report.problems
    assert str(pkg / "tiny.json") in problem and "sha256" in problem
    (pkg / "tiny.onnx").write_bytes((pkg / "tiny.onnx").read_bytes() + b"\0")
    with pytest.raises(ModelHashError) as err:
        resolve(spec)
    assert "tiny.onnx" in str(err.value) and err.value.code == "model-hash-mismatch"


def test_a_missing_file_is_named(pkg: Path) -> None:
    spec = _spec(pkg)
    (pkg / "tiny.json").unlink()
    report = verify_model(spec)
    assert not report.ok and report.problems == [f"{pkg / 'tiny.json'}: missing"]
    assert verify_all(Manifest({"tiny": spec}, [])).to_dict()["ok"] is False


def test_an_uninstalled_package_is_a_clear_error() -> None:
    spec = tiny_spec(module="kiosk_no_such_package_xyz")
    report = verify_model(spec)
    assert not report.ok and "pip install kiosk-no-such-package-xyz" in report.problems[0]
    with pytest.raises(ModelNotFoundError):
        resolve(spec)


def test_malformed_entries_are_rejected() -> None:
    good = {
        "version": "1", "format": "onnx", "licence": "MIT", "variants": {"fp32": "m.onnx"},
        "source": {"kind": "package", "package": "p", "module": "p", "path": "d"},
    }
    assert parse_model("m", good).variant("int8") == "m.onnx"
    with pytest.raises(ManifestError, match="missing key"):
        parse_model("m", {k: v for k, v in good.items() if k != "licence"})
    with pytest.raises(ManifestError, match="unknown"):
        parse_model("m", {**good, "precisions": ["int4"]})
    with pytest.raises(ManifestError, match="recipe"):
        parse_model("m", {**good, "source": {**good["source"], "kind": "recipe"}})  # type: ignore[dict-item]
    with pytest.raises(ModelNotFoundError, match="known"):
        load_manifest(overlay=False).get("no-such-model")
