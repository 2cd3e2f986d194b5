"""Small measurement helpers shared by the bench and the health report."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_NUMBERS = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
            "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten"}


_CONTRACTIONS = {"where's": "where is", "what's": "what is", "it's": "it is", "i'm": "i am",
                  "that's": "that is", "there's": "there is", "how's": "how is",
                  "don't": "do not", "can't": "cannot", "won't": "will not", "i'd": "i would",
                  "you're": "you are", "we're": "we are", "isn't": "is not", "i'll": "i will"}
_SPELLING = {"centre": "center", "metre": "meter", "colour": "color", "travelling": "traveling"}


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation, contractions expanded, US spelling, for WER."""
    words: list[str] = []
    for w in re.findall(r"[\w']+", text.lower().replace("’", "'")):
        w = _SPELLING.get(w, _NUMBERS.get(w, w))
        words.extend(_CONTRACTIONS.get(w, w).split())
    return words


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words divided by the reference length."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)


def percentiles(values: Sequence[float], digits: int = 1) -> dict[str, float]:
    """``{p50, p95, n}`` of a sample (empty -> zeros)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "n": 0}
    arr = np.asarray(values, dtype=np.float64)
    return {"p50": round(float(np.percentile(arr, 50)), digits),
            "p95": round(float(np.percentile(arr, 95)), digits), "n": len(values)}
