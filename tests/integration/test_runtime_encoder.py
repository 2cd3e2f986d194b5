"""The real sentence encoder: built by its recipe (cached), run through the runtime factory."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.runtime.encoder import Encoder, ensure_encoder
from appliance.runtime.encoder_recipe import compare
from appliance.runtime.manifest import load_manifest
from appliance.runtime.store import read_sidecar, verify_model

pytestmark = pytest.mark.slow

SENTENCES = [
    "Where is the ticket office?",
    "Where can I buy a ticket?",
    "My wallet was stolen on the train.",
    "Is there an elevator to platform two?",
]


@pytest.fixture(scope="module")
def encoders() -> tuple[Encoder, Encoder]:
    return Encoder("int8", backend="ort-cpu"), Encoder("fp32", backend="ort-cpu")


def test_ensure_encoder_builds_once_and_records_validation() -> None:
    path = ensure_encoder("int8")
    assert path.name == "encoder-int8.onnx" and path.exists()
    side = read_sidecar(path.parent)
    assert side is not None
    metrics = side["validation"]["int8_vs_fp32"]
    assert metrics["cosine_mean"] >= 0.99 and metrics["cosine_min"] >= 0.97
    assert ensure_encoder("int8") == path  # cached: same folder, no rebuild
    assert verify_model(load_manifest()["sentence-encoder"]).ok


def test_embeddings_are_normalized_and_meaningful(encoders: tuple[Encoder, Encoder]) -> None:
    int8, _ = encoders
    vecs = int8.encode(SENTENCES)
    assert vecs.shape == (4, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    sims = vecs @ vecs.T
    # the two ticket questions are nearer each other than to the stolen wallet
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert int8.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        int8.encode("one string")  # type: ignore[arg-type]


def test_int8_agrees_with_fp32_on_the_real_encoder(encoders: tuple[Encoder, Encoder]) -> None:
    int8, fp32 = encoders
    metrics = compare(fp32.encode(SENTENCES), int8.encode(SENTENCES))
    assert metrics["cosine_min"] > 0.97, metrics
    assert metrics["max_abs_error"] < 0.08, metrics
    assert int8.describe()["precision"] == "int8"
    assert fp32.describe()["precision"] == "fp32"


def test_batching_does_not_change_results(encoders: tuple[Encoder, Encoder]) -> None:
    _, fp32 = encoders
    one_by_one = np.concatenate([fp32.encode([s]) for s in SENTENCES])
    np.testing.assert_allclose(one_by_one, fp32.encode(SENTENCES), atol=1e-5)
