"""Heads trained on embeddings are cached per encoder file, backend and precision.

An encoder update (a bundle, a new recipe build) or a move to another backend (TensorRT
INT8 agrees with the CPU only to cosine 0.90) must retrain the NLU and safety heads, never
reuse heads fitted to other vectors.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from appliance.engines.nlu import encoder_nlu
from appliance.engines.nlu.sentence import CachedEncoder, HashingEncoder, encoder_id
from appliance.engines.safety import encoder as safety_encoder
from appliance.runtime.encoder import Encoder
from appliance.runtime.manifest import ModelSpec
from appliance.runtime.session import Session
from appliance.runtime.store import sha256_file
from appliance.runtime.testing import tiny_onnx, tiny_spec
from appliance.sitepack import bundled_sitepack_dir, load_sitepack


class StubSession(Session):
    """Only what ``Encoder.cache_id`` reads: spec, backend, precision, path."""

    input_names: ClassVar[list[str]] = []
    output_names: ClassVar[list[str]] = []

    def run(self, feeds: Mapping[str, np.ndarray],
            outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        raise AssertionError("not run in this test")


def runtime_encoder(spec: ModelSpec, backend: str, precision: str) -> Encoder:
    enc = Encoder.__new__(Encoder)  # no model load: the id is what is under test
    enc.session = StubSession(spec, backend, precision, Path("unused"))
    enc.precision = precision
    return enc


@pytest.fixture
def two_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModelSpec, ModelSpec]:
    """The same model name before and after an update (different file, different sha256)."""
    pkg = tmp_path / "site" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    old = tiny_onnx(pkg / "data" / "tiny.onnx")
    new = pkg / "data" / "tiny-v2.onnx"
    new.write_bytes(old.read_bytes() + b"\0")  # any byte of difference is another model
    qdq = pkg / "data" / "tiny-qdq.onnx"
    qdq.write_bytes(old.read_bytes() + b"\1")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "root"))
    sys.modules.pop("kiosk_tiny_models", None)
    files = {p.name: sha256_file(p) for p in (old, new, qdq)}
    before = tiny_spec(files=files, variants={"fp32": "tiny.onnx", "int8_qdq": "tiny-qdq.onnx"})
    after = tiny_spec(files=files, variants={"fp32": "tiny-v2.onnx", "int8_qdq": "tiny-qdq.onnx"})
    return before, after


def test_the_id_names_file_hash_backend_and_precision(two_models: tuple[ModelSpec, ...]) -> None:
    before, after = two_models
    cpu = encoder_id(runtime_encoder(before, "ort-cpu", "fp32"), "int8")
    assert before.files["tiny.onnx"][:12] in cpu and "ort-cpu" in cpu
    ids = {
        cpu,
        encoder_id(runtime_encoder(after, "ort-cpu", "fp32")),          # encoder updated
        encoder_id(runtime_encoder(before, "tensorrt", "fp16")),        # another backend
        encoder_id(runtime_encoder(before, "tensorrt", "int8")),        # the Q/DQ file
        encoder_id(runtime_encoder(before, "ort-tensorrt", "fp16")),
    }
    assert len(ids) == 5
    trt_int8 = encoder_id(runtime_encoder(before, "tensorrt", "int8"))
    assert before.files["tiny-qdq.onnx"][:12] in trt_int8  # built from the calibrated file
    # the wrapper the NLU puts around the encoder does not change the key
    wrapped = CachedEncoder(runtime_encoder(before, "ort-cpu", "fp32"))
    assert encoder_id(wrapped) == cpu


class KeyedHashing(HashingEncoder):
    """A model-free encoder that reports a runtime-style cache id."""

    def __init__(self, cache_id: str) -> None:
        super().__init__(dim=64)
        self.cache_id = cache_id


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def test_nlu_and_safety_heads_retrain_after_an_encoder_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    nlu_trained = counting(monkeypatch, encoder_nlu, "train_heads")
    safety_trained = counting(monkeypatch, safety_encoder, "train")
    old, new = KeyedHashing("aaaa-ort-cpu-int8"), KeyedHashing("bbbb-ort-cpu-int8")
    for enc in (old, old, new):
        encoder_nlu.load_or_train(pack, enc, encoder_id(enc), tmp_path)
        safety_encoder.load_or_train(pack, enc, encoder_id(enc), tmp_path)
    assert len(nlu_trained) == 2 and len(safety_trained) == 2  # the second `old` is cached
    cached = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert len(cached) == 4 and sum("aaaa" in n for n in cached) == 2
