"""Recipe build cache: built once, reused, rebuilt when corrupt, refused on bad inputs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from appliance.runtime import recipebook, recipes
from appliance.runtime.errors import ModelNotFoundError
from appliance.runtime.manifest import ModelSpec, SourceSpec
from appliance.runtime.session import ort_provider_options
from appliance.runtime.store import built_dir, read_sidecar, sha256_file, verify_model
from appliance.runtime.testing import tiny_onnx, tiny_spec


@pytest.fixture
def recipe_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelSpec, list[int]]:
    """A recipe model whose (fake) recipe copies the tiny model, counting its builds."""
    pkg = tmp_path / "site" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    src = tiny_onnx(pkg / "data" / "tiny.onnx")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    sys.modules.pop("kiosk_tiny_models", None)
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "copy.toml").write_text('kind = "copy"\n')
    monkeypatch.setattr(recipebook, "recipes_dir", lambda: tmp_path / "recipes")
    monkeypatch.setenv("KIOSK_MODEL_CACHE", str(tmp_path / "cache"))
    builds: list[int] = []

    def build(spec: ModelSpec, recipe: dict[str, Any], out: Path, say: Any) -> dict[str, Any]:
        builds.append(1)
        say("copying")
        (out / "tiny.onnx").write_bytes(src.read_bytes())
        return {"validation": {"ok": True}}

    monkeypatch.setattr(recipes, "_builders", lambda: {"copy": build})
    base = tiny_spec()
    spec = ModelSpec(**{**base.__dict__, "source": SourceSpec(
        kind="recipe", package="kiosk-tiny-models", module="kiosk_tiny_models", path="data",
        recipe="copy", inputs={"tiny.onnx": sha256_file(src)})})
    return spec, builds


def test_built_once_then_cached(recipe_spec: tuple[ModelSpec, list[int]]) -> None:
    spec, builds = recipe_spec
    said: list[str] = []
    folder = recipes.ensure_built(spec, said.append)
    assert folder == built_dir(spec) and builds == [1] and "copying" in said
    side = read_sidecar(folder)
    assert side is not None and side["validation"] == {"ok": True}
    assert set(side["files"]) == {"tiny.onnx"}
    assert recipes.ensure_built(spec) == folder and builds == [1]
    assert verify_model(spec).ok


def test_a_corrupt_build_is_rebuilt(recipe_spec: tuple[ModelSpec, list[int]]) -> None:
    spec, builds = recipe_spec
    folder = recipes.ensure_built(spec)
    (folder / "tiny.onnx").write_bytes(b"garbage")
    assert not verify_model(spec).ok
    said: list[str] = []
    assert recipes.ensure_built(spec, said.append) == folder and builds == [1, 1]
    assert any("stale or corrupt" in s for s in said)
    assert verify_model(spec).ok


def test_changed_inputs_refuse_to_build(recipe_spec: tuple[ModelSpec, list[int]]) -> None:
    spec, builds = recipe_spec
    bad = ModelSpec(**{**spec.__dict__, "source": SourceSpec(
        **{**spec.source.__dict__, "inputs": {"tiny.onnx": "0" * 64}})})
    with pytest.raises(ModelNotFoundError, match=r"tiny\.onnx"):
        recipes.ensure_built(bad)
    assert builds == []


def test_tensorrt_provider_options_carry_caches_and_profiles(tmp_path: Path) -> None:
    providers = ort_provider_options("ort-tensorrt", "fp16", tiny_spec(), tmp_path)
    name, opts = providers[0]
    assert name == "TensorrtExecutionProvider"
    assert opts["trt_engine_cache_path"] == str(tmp_path) and opts["trt_fp16_enable"]
    assert opts["trt_timing_cache_enable"] and "trt_int8_enable" not in opts
    assert opts["trt_profile_min_shapes"] == "x:1x4" and opts["trt_profile_max_shapes"] == "x:8x4"
    assert providers[1:] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert ort_provider_options("ort-cpu", "int8", tiny_spec(), None) == ["CPUExecutionProvider"]
