"""Engine cache: keying by model/precision/GPU/TensorRT, corrupt or stale entries rebuilt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.runtime.engine_cache import EngineCache, EngineKey

KEY = EngineKey(model_sha256="ab" * 32, precision="fp16", gpu="Orin", trt_version="10.3.0")


@pytest.fixture
def cache(tmp_path: Path) -> EngineCache:
    return EngineCache(tmp_path / "engines")


def test_every_part_of_the_key_changes_the_entry() -> None:
    variants = [
        EngineKey("cd" * 32, "fp16", "Orin", "10.3.0"),
        EngineKey("ab" * 32, "int8", "Orin", "10.3.0"),
        EngineKey("ab" * 32, "fp16", "NVIDIA H100", "10.3.0"),
        EngineKey("ab" * 32, "fp16", "Orin", "10.4.0"),
        EngineKey("ab" * 32, "fp16", "Orin|sm87-8sm-NVIDIA Jetson Orin NX", "10.3.0"),
        EngineKey("ab" * 32, "fp16", "Orin", "10.3.0", profiles="x:1x4/1x4/8x4"),
        EngineKey("ab" * 32, "fp16", "Orin", "10.3.0", flags="fp16"),
    ]
    digests = {KEY.digest(), *(k.digest() for k in variants)}
    assert len(digests) == 8


def test_engine_key_carries_the_manifest_profile_the_builder_flags_and_the_variant() -> None:
    import dataclasses

    from appliance.runtime.backends import Capabilities
    from appliance.runtime.testing import tiny_spec
    from appliance.runtime.trt_build import builder_flags, engine_key

    spec = tiny_spec()
    nano = Capabilities(gpu_name="Orin", gpu_detail="sm87-8sm-NVIDIA Jetson Orin Nano")
    agx = Capabilities(gpu_name="Orin", gpu_detail="sm87-16sm-NVIDIA Jetson AGX Orin")
    key = engine_key(spec, "int8", "ab" * 32, nano.gpu_variant, "10.3.0")
    assert key.profiles == "x:1x4/1x4/8x4"
    assert key.flags == "fp16,int8,workspace=1073741824" == ",".join(builder_flags("int8", "10.3"))
    assert key != engine_key(spec, "int8", "ab" * 32, agx.gpu_variant, "10.3.0")
    wider = dataclasses.replace(spec, inputs=(dataclasses.replace(spec.inputs[0],
                                                                   max=(16, 4)),))
    assert engine_key(wider, "int8", "ab" * 32, nano.gpu_variant, "10.3.0").digest() \
        != key.digest()
    assert builder_flags("fp16", "8.6.2") == ["explicit-batch", "fp16", "workspace=1073741824"]
    assert builder_flags("fp16", "11.0") == ["strongly-typed", "workspace=1073741824"]


def test_store_then_lookup_hits(cache: EngineCache) -> None:
    path = cache.store("enc", KEY, b"engine-bytes")
    assert cache.lookup("enc", KEY) == path
    assert path.read_bytes() == b"engine-bytes"
    [entry] = cache.entries()
    assert entry["key"] == KEY.to_dict() and entry["size"] == len(b"engine-bytes")


def test_corrupt_engine_is_removed_and_rebuilt(cache: EngineCache) -> None:
    path = cache.store("enc", KEY, b"engine-bytes")
    path.write_bytes(b"engine-bytez")  # same size, flipped byte
    assert cache.lookup("enc", KEY) is None
    assert not path.exists() and not cache.sidecar(path).exists()
    builds: list[int] = []

    def build() -> bytes:
        builds.append(1)
        return b"fresh"

    rebuilt, built = cache.get_or_build("enc", KEY, build)
    assert built and rebuilt.read_bytes() == b"fresh"
    again, built_again = cache.get_or_build("enc", KEY, build)
    assert again == rebuilt and not built_again and len(builds) == 1


def test_truncated_engine_and_missing_sidecar_are_not_trusted(cache: EngineCache) -> None:
    path = cache.store("enc", KEY, b"0123456789")
    path.write_bytes(b"01234")
    assert cache.lookup("enc", KEY) is None
    path = cache.store("enc", KEY, b"0123456789")
    cache.sidecar(path).unlink()
    assert cache.lookup("enc", KEY) is None and not path.exists()


def test_sidecar_for_another_tensorrt_is_stale(cache: EngineCache) -> None:
    path = cache.store("enc", KEY, b"engine")
    meta = json.loads(cache.sidecar(path).read_text())
    meta["key"]["trt_version"] = "8.6.2"  # an engine copied in from an older JetPack
    cache.sidecar(path).write_text(json.dumps(meta))
    assert cache.lookup("enc", KEY) is None and not path.exists()


def test_onnxruntime_cache_dir_is_keyed_and_wiped_when_its_marker_is_bad(
    cache: EngineCache,
) -> None:
    folder = cache.ort_dir("enc", KEY)
    (folder / "TensorrtExecutionProvider_cache.engine").write_bytes(b"x")
    assert cache.ort_dir("enc", KEY) == folder and (folder / "key.json").exists()
    (folder / "key.json").write_text("{broken")
    again = cache.ort_dir("enc", KEY)
    assert again == folder and not (folder / "TensorrtExecutionProvider_cache.engine").exists()
    other = cache.ort_dir("enc", EngineKey(KEY.model_sha256, "fp32", "Orin", "10.3.0"))
    assert other != folder
