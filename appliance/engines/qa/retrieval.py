"""Retrieval over the site pack's FAQ: by sentence embeddings, or by words without a model."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from appliance.engines.nlu.sentence import SentenceEncoder
from appliance.engines.nlu.text import STOPWORDS, normalize, tokens
from appliance.sitepack.model import FaqEntry

INTENT_BONUS = 0.06
"""Added to entries of the intent the NLU recognised: the NLU saw the whole utterance."""
TIE_BREAK = 0.01
"""Without an encoder: this much of the lower of the two word measures is added, so
phrasings that score alike go to the one both find close."""


@dataclass
class Hit:
    entry: FaqEntry
    score: float


class FaqIndex:
    """Scores every FAQ entry (best of its question and alternatives) against a query.

    Without an encoder a phrasing scores the better of two word measures: how much of
    the two texts' letters agree (``token_set_ratio``, tolerant of typos; a phrasing
    whose words all occur in the query scores high, however generic they are: "which
    exit for taxis" against "which exit for Central Square") and how well their
    content words agree, each weighed by how rare it is among the entries
    (:meth:`_overlap`: the phrasing that says what the visitor said wins).
    """

    def __init__(self, faq: list[FaqEntry], encoder: SentenceEncoder | None = None,
                 implied: Iterable[str] = ()) -> None:
        self.entries = faq
        self.encoder = encoder
        self._implied = sorted({tuple(tokens(name)) for name in implied} - {()},
                               key=lambda words: -len(words))
        """Names of what every entry is about (the kiosk's own station: "this station",
        "Central Square"): they tell no entry from another, and the word measure
        leaves them out ("which exit for Central Square?" asks about exits)."""
        self._owner: list[int] = []
        self._texts: list[str] = []
        for i, entry in enumerate(faq):
            for text in entry.phrasings:
                self._owner.append(i)
                self._texts.append(normalize(text))
        self._owner_arr = np.array(self._owner)
        self._vecs = encoder.encode(self._texts) if encoder is not None and self._texts else None
        self._words = [self._content(t) for t in self._texts] if self._vecs is None else []
        seen: Counter[str] = Counter()
        for i in range(len(faq)):
            seen.update(set().union(*(w for o, w in zip(self._owner, self._words) if o == i)))
        self._idf = {w: math.log((len(faq) + 1) / (n + 1)) + 1 for w, n in seen.items()}

    def search(self, query: str, intent: str = "", k: int = 3,
               query_vec: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best entries, best first (scores: cosine, or 0..1 word overlap)."""
        if not self.entries:
            return []
        if self._vecs is not None and self.encoder is not None:
            q = query_vec if query_vec is not None else self.encoder.encode([normalize(query)])[0]
            sims = self._vecs @ q
        else:
            norm = normalize(query)
            asked = self._content(norm)
            overlap = np.array([self._overlap(asked, w) for w in self._words])
            ratio = np.array([fuzz.token_set_ratio(norm, t) / 100.0 for t in self._texts])
            # equal scores (a short question inside the query: 1.0) go to the phrasing
            # that both measures find close
            sims = np.maximum(ratio, overlap) + TIE_BREAK * np.minimum(ratio, overlap)
        best = np.full(len(self.entries), -1.0)
        np.maximum.at(best, self._owner_arr, sims)
        for i, entry in enumerate(self.entries):
            if intent and entry.intent == intent:
                best[i] += INTENT_BONUS
        order = np.argsort(-best)[:k]
        return [Hit(self.entries[int(i)], float(best[i])) for i in order]

    def _content(self, text: str) -> frozenset[str]:
        """The words of normalised ``text`` that say what it is about: no stopwords, no
        name of what every entry is about, a plural as its singular."""
        words = text.split()
        for name in self._implied:
            kept: list[str] = []
            i = 0
            while i < len(words):
                if tuple(words[i:i + len(name)]) == name:
                    i += len(name)
                    continue
                kept.append(words[i])
                i += 1
            words = kept
        return frozenset(_singular(w) for w in words if w not in STOPWORDS)

    def _overlap(self, asked: frozenset[str], said: frozenset[str]) -> float:
        """F1 of the content words the query and a phrasing share, each weighed by its
        rarity among the entries (idf). A word no entry has weighs as little as one
        every entry has: it tells no entry from another."""
        shared = sum(self._idf[w] for w in asked & said)
        if not shared:
            return 0.0
        precision = shared / sum(self._idf[w] for w in said)
        recall = shared / sum(self._idf.get(w, 1.0) for w in asked)
        return 2 * precision * recall / (precision + recall)


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
