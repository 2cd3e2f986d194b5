"""The sentence encoder (all-MiniLM-L6-v2) as a ready-to-use object.

>>> from appliance.runtime.encoder import Encoder
>>> enc = Encoder()                      # int8 on the CPU, TensorRT fp16 on a GPU
>>> vecs = enc.encode(["Where is the ticket office?"])   # (1, 384) float32, unit norm

:func:`ensure_encoder` builds the ONNX files with the recipe the first time (torch
CPU at build time, ~1 min) and then reuses the cached build; on a device the
files come from an installed model bundle instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from appliance.runtime.errors import ModelNotFoundError
from appliance.runtime.factory import create_session
from appliance.runtime.manifest import ModelSpec, load_manifest
from appliance.runtime.recipebook import Progress
from appliance.runtime.recipes import ensure_built
from appliance.runtime.session import Session
from appliance.runtime.store import file_sha256, installed_dir, read_sidecar, resolve, sha256_file
from appliance.runtime.tokenizer import MAX_TOKENS, load_tokenizer, tokenize

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-encoder"
DIM = 384


def encoder_spec() -> ModelSpec:
    return load_manifest().get(MODEL_NAME)


def ensure_encoder(precision: str = "int8", progress: Progress | None = None) -> Path:
    """Path of the encoder's ONNX file at ``precision`` (``fp32`` or ``int8``), built if missing.

    An encoder installed from a model bundle wins; otherwise the recipe's cached
    build is used, built now if absent, stale or corrupt.
    """
    spec = encoder_spec()
    if read_sidecar(installed_dir(spec.name)) is None:
        ensure_built(spec, progress)
    return resolve(spec, precision)


class Encoder:
    """Sentence -> normalized 384-d embedding, on the best runtime backend.

    Not thread-safe: use it from one thread (e.g. an engine's single-thread
    executor). ``describe()`` reports the backend and precision for health.
    """

    dim = DIM

    def __init__(
        self,
        precision: str = "auto",
        *,
        backend: str = "auto",
        batch_size: int = 32,
        threads: int = 0,
        session: Session | None = None,
    ) -> None:
        want = "int8" if precision == "auto" else precision
        path = ensure_encoder(want if want in ("fp32", "int8") else "fp32")
        self._tokenizer = load_tokenizer(path.parent / "tokenizer.json", MAX_TOKENS)
        self.session = session or create_session(
            encoder_spec(), precision, backend=backend, threads=threads
        )
        self.batch_size = batch_size
        self.precision = self.session.precision

    @property
    def cache_id(self) -> str:
        """What the embeddings depend on: model file sha256, backend and precision.

        Anything trained or calibrated on these embeddings (the NLU and safety heads) is
        cached under this id, so an encoder update (a bundle, a new recipe build) or a
        switch of backend (TensorRT INT8 agrees with the CPU only to cosine 0.90) retrains
        instead of reusing heads fitted to other vectors.
        """
        sess = self.session
        spec = sess.spec
        if sess.backend in ("tensorrt", "ort-tensorrt"):  # built from fp32 or the Q/DQ file
            variant = "int8_qdq" if sess.precision == "int8" else "fp32"
        else:
            variant = sess.precision
        try:
            digest = file_sha256(spec, variant)
        except (KeyError, OSError, ModelNotFoundError):  # e.g. a test's stand-in session
            digest = sha256_file(sess.path) if Path(sess.path).is_file() else "unknown"
        return f"{digest[:12]}-{sess.backend}-{sess.precision}"

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        """Embeddings of ``sentences``: float32 ``(n, 384)``, each row of unit length."""
        if isinstance(sentences, str):
            raise TypeError("encode() takes a list of sentences, not one string")
        if not sentences:
            return np.zeros((0, DIM), dtype=np.float32)
        out = []
        for i in range(0, len(sentences), self.batch_size):
            feeds = tokenize(self._tokenizer, sentences[i : i + self.batch_size])
            wanted = set(self.session.input_names)
            result = self.session.run({k: v for k, v in feeds.items() if k in wanted})
            out.append(result["embedding"].astype(np.float32, copy=False))
        return np.concatenate(out)

    def describe(self) -> dict[str, Any]:
        return self.session.describe()

    def close(self) -> None:
        self.session.close()
