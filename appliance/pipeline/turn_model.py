"""A learned end-of-turn decision: how likely has the visitor finished, from the words so far?

Logistic regression over hashed features of the end of the ASR's guess during a pause:
the last word, the one before it, the last bigram and trigram, Whisper's trailing
punctuation (alone and with the last word), the length, the first word with the length
(a question opener heard with two words is rarely done). Trained per site pack on
:mod:`appliance.pipeline.turn_data` (finished lines against their prefixes), in numpy,
deterministically, in well under a second; cached next to the NLU heads.

The probability maps to a judgement for the endpointer: ``True`` (finished, the short
wait) at or above ``finished_at``, chosen on the held-out lines so that a finished call
is right at least :data:`FINISHED_PRECISION` of the time (a wrong one splits a question);
``False`` (open, the long wait) at or below ``open_at``, chosen so that at most
:data:`OPEN_COST` of finished lines wait the long wait; ``None`` (unsure) between.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from appliance.pipeline.turn_data import Row, rows, words
from appliance.pipeline.turn_end import words_complete
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

DIM = 1 << 14
"""Hashed feature buckets (collisions are rare at a few thousand distinct words)."""
FINISHED_PRECISION = 0.99
"""A finished call must be right this often on the held-out lines."""
OPEN_COST = 0.05
"""At most this share of held-out finished lines may be called open (each waits ~0.5 s more)."""
VERSION = 1


def _mark(text: str) -> str:
    """Whisper's trailing punctuation, as a class."""
    s = text.rstrip()
    for mark in ("...", "…", "?", "!", ".", ",", "-", "—"):
        if s.endswith(mark):
            return "..." if mark == "…" else "-" if mark == "—" else mark
    return "none"


def features(text: str) -> list[str]:
    """The named features of one guess (before hashing)."""
    ws = words(text) or ["<none>"]
    n = len(ws)
    length = str(n) if n <= 6 else "7-8" if n <= 8 else "9+"
    last, prev = ws[-1], ws[-2] if n > 1 else "<s>"
    mark = _mark(text)
    return [
        "bias", f"w1={last}", f"w2={prev}", f"b={prev}_{last}",
        f"t={'_'.join(ws[-3:])}" if n >= 3 else f"t=<s>_{prev}_{last}",
        f"p={mark}", f"p={mark}|w1={last}", f"n={length}", f"p={mark}|n={length}",
        f"f={ws[0]}|n={length}",
    ]


def hashed(texts: Sequence[str]) -> np.ndarray:
    """Feature bucket indices, one row per text (every text has the same feature count)."""
    return np.array([[zlib.crc32(f.encode()) % DIM for f in features(t)] for t in texts],
                    dtype=np.int64)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


def fit_weights(idx: np.ndarray, y: np.ndarray, *, l2: float = 1e-4, steps: int = 300,
                lr: float = 0.1) -> np.ndarray:
    """Class-balanced L2 logistic regression over sparse binary features (full-batch Adam)."""
    n, k = idx.shape
    pos = max(1.0, float(y.sum()))
    neg = max(1.0, float(n - y.sum()))
    sample_w = np.where(y > 0, 0.5 / pos, 0.5 / neg)
    w = np.zeros(DIM)
    m, v = np.zeros(DIM), np.zeros(DIM)
    flat = idx.ravel()
    for t in range(1, steps + 1):
        p = _sigmoid(w[idx].sum(axis=1))
        g = np.repeat((p - y) * sample_w, k)
        grad = np.bincount(flat, weights=g, minlength=DIM) + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def choose_thresholds(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(finished_at, open_at) on held-out probabilities ``p`` and labels ``y``."""
    order = np.argsort(-p)
    hits = np.cumsum(y[order])
    precision = hits / np.arange(1, len(p) + 1)
    # the lowest probability down to which every finished call above is still precise
    ok = np.nonzero(precision >= FINISHED_PRECISION)[0]
    finished_at = float(p[order][ok.max()]) if len(ok) else 1.0 + 1e-9
    finished_at = max(finished_at, 0.5)
    done = np.sort(p[y > 0])
    open_at = float(done[int(OPEN_COST * len(done))]) if len(done) else 0.0
    return finished_at, min(open_at, finished_at)


@dataclass
class TurnEndModel:
    """``p(finished | words so far)`` and its three-way judgement."""

    weights: np.ndarray
    finished_at: float
    open_at: float

    @classmethod
    def train(cls, data: Sequence[Row]) -> TurnEndModel:
        """Fit on the training rows, thresholds from the held-out rows."""
        train = [r for r in data if not r.held_out]
        held = [r for r in data if r.held_out]
        w = fit_weights(hashed([r.text for r in train]),
                        np.array([r.finished for r in train], dtype=float))
        model = cls(w, 1.0, 0.0)
        if held:
            p = model.probabilities([r.text for r in held])
            model.finished_at, model.open_at = choose_thresholds(
                p, np.array([r.finished for r in held], dtype=float))
        return model

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return _sigmoid(self.weights[hashed(texts)].sum(axis=1))

    def probability(self, text: str) -> float:
        """How likely the visitor has finished, having said ``text`` so far."""
        return float(self.probabilities([text])[0])

    def judge(self, text: str) -> bool | None:
        """``True`` finished, ``False`` open, ``None`` unsure or no words (the usual wait)."""
        if not words(text):
            return None
        p = self.probability(text)
        if p >= self.finished_at:
            return True
        if p <= self.open_at:
            return False
        return None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, weights=self.weights.astype(np.float32),
                 thresholds=np.array([self.finished_at, self.open_at]))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TurnEndModel:
        with np.load(path, allow_pickle=False) as data:
            finished_at, open_at = (float(x) for x in data["thresholds"])
            return cls(data["weights"].astype(np.float64), finished_at, open_at)


def _cache_path(pack: SitePack, cache_dir: Path) -> Path:
    # the data and the features are code: a change to either retrains
    digest = hashlib.sha256()
    for name in ("turn_data.py", "turn_model.py"):
        digest.update(Path(__file__).with_name(name).read_bytes())
    return cache_dir / (f"turn-end-{pack.manifest.name}-{pack.fingerprint()}"
                        f"-{digest.hexdigest()[:8]}-v{VERSION}.npz")


def for_pack(pack: SitePack, cache_dir: Path | None = None) -> TurnEndModel:
    """The pack's model: loaded from ``cache_dir`` if trained before, else trained (and kept)."""
    path = _cache_path(pack, cache_dir) if cache_dir is not None else None
    if path is not None and path.is_file():
        try:
            return TurnEndModel.load(path)
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("cached end-of-turn model unreadable (%s); retraining", exc)
    start = time.perf_counter()
    model = TurnEndModel.train(rows(pack))
    logger.info("end-of-turn model trained in %.2f s (finished at p >= %.3f, open at <= %.3f)",
                time.perf_counter() - start, model.finished_at, model.open_at)
    if path is not None:
        try:
            model.save(path)
        except OSError as exc:
            logger.warning("could not cache the end-of-turn model in %s: %s", cache_dir, exc)
    return model


_LOADED: dict[tuple[Path, str], TurnEndModel] = {}


def with_rule(model: TurnEndModel) -> Callable[[str], bool | None]:
    """The model's judgement, held open wherever the words rule hears an open ending.

    Open only lengthens the wait, so either may say it ("Where can I buy a..." is open to
    the rule while the model is unsure); finished stays the model's alone, since the rule's
    "finished" ends a third of the prefixes early (README, the held-out figures).
    """
    def judge(text: str) -> bool | None:
        verdict = model.judge(text)
        return False if verdict is False or words_complete(text) is False else verdict

    return judge


def judge_for(pack: SitePack | None) -> Callable[[str], bool | None] | None:
    """The judge of ``pack``'s model with the rule's open endings (:func:`with_rule`; once
    per process and pack, kept in the state folder), or ``None`` without a pack or when the
    model cannot be had: then the rule alone judges."""
    if pack is None:
        return None
    key = (pack.root, pack.fingerprint())
    if key not in _LOADED:
        from appliance.settings import state_dir

        try:
            _LOADED[key] = for_pack(pack, state_dir() / "nlu")
        except (ValueError, FloatingPointError, OSError) as exc:
            logger.warning("no end-of-turn model (%s): the words rule judges", exc)
            return None
    return with_rule(_LOADED[key])
