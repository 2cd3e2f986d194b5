"""Sentence encoders as the NLU and QA see them: ``encode(list[str]) -> (n, d)`` unit rows.

The real one is all-MiniLM-L6-v2 from :mod:`appliance.runtime.encoder` (ONNX, FP32 or
INT8, built by the recipe in ``models/``). :class:`HashingEncoder` is a model-free
stand-in (hashed character n-grams) for tests of other parts and for machines where
the model cannot be built. :class:`CachedEncoder` remembers recent sentences so the
NLU and the QA do not encode the same utterance twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from appliance.errors import EngineLoadError

logger = logging.getLogger(__name__)


@runtime_checkable
class SentenceEncoder(Protocol):
    """Anything that turns sentences into L2-normalised float32 rows."""

    def encode(self, sentences: Sequence[str]) -> np.ndarray: ...


def load_encoder(precision: str = "int8") -> SentenceEncoder:
    """The real MiniLM encoder at ``fp32`` or ``int8``; raises EngineLoadError if unavailable."""
    try:
        from appliance.runtime.encoder import Encoder  # provided by the model runtime
    except ImportError as exc:
        raise EngineLoadError(f"the model runtime's encoder is not installed: {exc}") from exc
    try:
        return Encoder(precision)  # type: ignore[no-any-return]
    except Exception as exc:
        raise EngineLoadError(f"sentence encoder ({precision}) failed to load: {exc}") from exc


def encoder_id(encoder: SentenceEncoder, precision: str = "") -> str:
    """The key heads trained on ``encoder``'s embeddings are cached under.

    The runtime encoder names its model file's sha256, backend and precision
    (``Encoder.cache_id``): heads never outlive the embeddings they were fitted to.
    Other encoders (the hashing stand-in, test doubles) go by class and precision.
    """
    inner = getattr(encoder, "inner", encoder)
    cache_id = getattr(inner, "cache_id", None)
    if isinstance(cache_id, str) and cache_id:
        return f"{type(inner).__name__.lower()}-{cache_id}"
    return f"{type(inner).__name__.lower()}-{precision or getattr(inner, 'precision', '')}"


def encoder_words(encoder: SentenceEncoder) -> frozenset[str]:
    """Whole lower-case words of the encoder's WordPiece vocabulary (empty if it has none).

    About 22,000 common English words: the spell fixer leaves these alone.
    """
    inner = getattr(encoder, "inner", encoder)
    tok = getattr(inner, "_tokenizer", None)  # the runtime Encoder's tokenizers.Tokenizer
    if tok is None or not hasattr(tok, "get_vocab"):
        return frozenset()
    return frozenset(w for w in tok.get_vocab() if w.isalpha() and w.islower())


class HashingEncoder:
    """Model-free embeddings: hashed word and character 3-gram counts, L2-normalised."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.precision = "hash"

    def _features(self, text: str) -> list[str]:
        words = re.findall(r"[a-z0-9']+", text.lower())
        feats = [f"w:{w}" for w in words]
        for w in words:
            padded = f"#{w}#"
            feats.extend(f"c:{padded[i:i + 3]}" for i in range(len(padded) - 2))
        return feats

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        for row, text in enumerate(sentences):
            for feat in self._features(text):
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=4).digest(), "big")
                out[row, h % self.dim] += 2.0 if feat.startswith("w:") else 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


class CachedEncoder:
    """Wraps an encoder with a small LRU cache keyed by sentence."""

    def __init__(self, inner: SentenceEncoder, size: int = 256) -> None:
        self.inner = inner
        self.size = size
        self.precision = getattr(inner, "precision", "")
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def clear(self) -> None:
        """Forget every cached sentence (benchmarks measure cold encodes)."""
        self._cache.clear()

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        missing = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if missing:
            for s, vec in zip(missing, self.inner.encode(missing), strict=True):
                self._cache[s] = vec
        rows = []
        for s in sentences:
            self._cache.move_to_end(s)
            rows.append(self._cache[s])
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack(rows)
