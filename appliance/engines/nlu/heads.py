"""Small classifier heads on sentence embeddings, trained at install time in numpy.

:class:`SoftmaxHead` is multinomial logistic regression (L2-regularised, full-batch
gradient descent with Adam); on a few thousand 384-d rows it trains in about a
second. Heads save to and load from ``.npz`` so a kiosk trains once per site pack
and encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class SoftmaxHead:
    """``p(class | x) = softmax(x @ W + b / T)``; ``T`` is the calibration temperature."""

    classes: list[str]
    weights: np.ndarray
    bias: np.ndarray
    temperature: float = 1.0
    threshold: float = 0.0
    """A decision threshold calibrated with the head (e.g. out-of-scope), saved with it."""

    @classmethod
    def fit(cls, x: np.ndarray, labels: list[str], *, l2: float = 1e-4, steps: int = 300,
            lr: float = 0.05, seed: int = 0, class_weight: bool = True) -> SoftmaxHead:
        """Train on rows ``x`` with string ``labels``."""
        classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[lb] for lb in labels])
        n, d = x.shape
        k = len(classes)
        onehot = np.zeros((n, k), dtype=np.float32)
        onehot[np.arange(n), y] = 1.0
        counts = onehot.sum(axis=0)
        sample_w = (n / (k * counts[y])) if class_weight else np.ones(n)
        sample_w = (sample_w / sample_w.sum()).astype(np.float32)[:, None]
        rng = np.random.default_rng(seed)
        w = (rng.standard_normal((d, k)) * 0.01).astype(np.float32)
        b = np.zeros(k, dtype=np.float32)
        m_w, v_w = np.zeros_like(w), np.zeros_like(w)
        m_b, v_b = np.zeros_like(b), np.zeros_like(b)
        scale = 10.0  # embeddings are unit length: scale logits so softmax can get sharp
        for t in range(1, steps + 1):
            p = _softmax(scale * (x @ w) + b)
            g = (p - onehot) * sample_w
            g_w = scale * (x.T @ g) + l2 * w
            g_b = g.sum(axis=0)
            for param, grad, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad * grad
                param -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        return cls(classes=classes, weights=(scale * w).astype(np.float32), bias=b)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.asarray((x @ self.weights + self.bias) / self.temperature)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return _softmax(self.logits(x))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, classes=np.array(self.classes), weights=self.weights, bias=self.bias,
                 temperature=np.array(self.temperature), threshold=np.array(self.threshold))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SoftmaxHead:
        with np.load(path, allow_pickle=False) as data:
            return cls(classes=[str(c) for c in data["classes"]], weights=data["weights"],
                       bias=data["bias"], temperature=float(data["temperature"]),
                       threshold=float(data["threshold"]))


KNN_SCALE = 20.0
"""Sharpness of the nearest-example vote (cosine similarities times this, softmaxed)."""
HEAD_WEIGHT = 0.5
"""Blend of the softmax head with the nearest-example vote (the rest)."""
OOS = "out_of_scope"


def blend(head: SoftmaxHead, x: np.ndarray, y: np.ndarray,
          q: np.ndarray) -> tuple[np.ndarray, float]:
    """Head probabilities blended with a nearest-example vote; plus the best in-scope cosine."""
    # einsum, not BLAS: a threaded gemv fights the encoder's threads (ms instead of µs)
    sims = np.einsum("ij,j->i", x, q)
    k = len(head.classes)
    best = _class_max(sims, y, k)
    knn = np.exp(KNN_SCALE * (best - best.max()))
    knn /= knn.sum()
    probs = HEAD_WEIGHT * head.predict_proba(q[None, :])[0] + (1 - HEAD_WEIGHT) * knn
    oos = head.classes.index(OOS) if OOS in head.classes else -1
    in_scope = np.delete(best, oos) if oos >= 0 else best
    return probs, float(in_scope.max())


def _class_max(sims: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Best similarity per class; fast when the rows are sorted by class (trained heads)."""
    starts = np.searchsorted(y, np.arange(k))
    if len(y) and (np.diff(y) >= 0).all() and (np.diff(np.append(starts, len(y))) > 0).all():
        return np.asarray(np.maximum.reduceat(sims, starts), dtype=np.float64)
    best = np.full(k, -1.0)
    np.maximum.at(best, y, sims)
    return best


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True))
