"""Derived models: a graph edit saved as its own file, loaded by every backend.

Piper's alignment output is the real case (tests/integration/test_voice_runtime.py); here
the tiny real model gets its hidden ``r = relu(x)`` tensor listed as an output.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from trt_standin import installed

from appliance.runtime.backends import ORT_CPU, TENSORRT, Capabilities
from appliance.runtime.derived import Derivation
from appliance.runtime.engine_cache import EngineCache
from appliance.runtime.factory import create_session
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.store import sha256_file
from appliance.runtime.testing import tiny_onnx, tiny_spec

CPU = Capabilities(ort_providers=("CPUExecutionProvider",))
X = np.array([[-1.0, 0.0, 2.0, 3.5]], dtype=np.float32)


def _expose_relu(model: Any) -> None:
    import onnx

    value = onnx.helper.ValueInfoProto()
    value.name = "r"  # untyped, as Piper's patch adds its Ceil tensor
    model.graph.output.append(value)


EXPOSED = Derivation("expose-relu-v1", _expose_relu)


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelSpec:
    pkg = tmp_path / "site" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    fp32 = tiny_onnx(pkg / "data" / "tiny.onnx")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "root"))
    sys.modules.pop("kiosk_tiny_models", None)
    return tiny_spec(files={"tiny.onnx": sha256_file(fp32)})


def test_the_edit_is_saved_once_and_every_output_is_served(tiny: ModelSpec,
                                                            tmp_path: Path) -> None:
    cache = EngineCache(tmp_path / "engines")
    with create_session(tiny, "fp32", backend=ORT_CPU, caps=CPU, cache=cache,
                        derive=EXPOSED) as sess:
        assert sess.output_names == ["y", "r"]
        out = sess.run({"x": X})
    np.testing.assert_allclose(out["r"], np.maximum(X, 0))
    np.testing.assert_allclose(out["y"], np.maximum(X, 0) + 1)
    [derived] = (cache.root / "derived" / "tiny").glob("*.onnx")
    assert derived.name == f"{tiny.files['tiny.onnx'][:16]}-expose-relu-v1.onnx"
    assert sess.path == derived
    stamp = derived.stat().st_mtime_ns
    create_session(tiny, "fp32", backend=ORT_CPU, caps=CPU, cache=cache, derive=EXPOSED).close()
    assert derived.stat().st_mtime_ns == stamp  # reused, not rewritten


def test_a_damaged_derived_file_is_rebuilt_not_loaded(tiny: ModelSpec, tmp_path: Path) -> None:
    cache = EngineCache(tmp_path / "engines")
    create_session(tiny, "fp32", backend=ORT_CPU, caps=CPU, cache=cache, derive=EXPOSED).close()
    [derived] = (cache.root / "derived" / "tiny").glob("*.onnx")
    derived.write_bytes(b"not a model")
    with create_session(tiny, "fp32", backend=ORT_CPU, caps=CPU, cache=cache,
                        derive=EXPOSED) as sess:
        np.testing.assert_allclose(sess.run({"x": X})["r"], np.maximum(X, 0))


def test_tensorrt_builds_from_the_derived_file_and_keys_its_engine_on_it(
    tiny: ModelSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = EngineCache(tmp_path / "engines")
    caps = Capabilities(tensorrt_version="10.3.0", pycuda=True, gpu_name="Orin",
                        gpu_detail="sm87-8sm-NVIDIA Jetson Orin Nano", ort_version="1.x",
                        ort_providers=("CPUExecutionProvider",))
    with installed(monkeypatch, "10.3.0") as (rec, _):
        sess = create_session(tiny, "fp16", backend=TENSORRT, caps=caps, cache=cache,
                              derive=EXPOSED)
        assert set(sess.output_names) == {"y", "r"}
        np.testing.assert_allclose(sess.run({"x": X})["r"], np.maximum(X, 0))
        sess.close()
    [derived] = (cache.root / "derived" / "tiny").glob("*.onnx")
    [(parsed,)] = rec.args("OnnxParser.parse_from_file")
    assert Path(parsed) == derived
    [entry] = cache.entries()
    assert entry["key"]["model_sha256"] == sha256_file(derived) != tiny.files["tiny.onnx"]
