"""Retrieval over the site pack's FAQ: by sentence embeddings, or by words without a model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from appliance.engines.nlu.sentence import SentenceEncoder
from appliance.engines.nlu.text import normalize
from appliance.sitepack.model import FaqEntry

INTENT_BONUS = 0.06
"""Added to entries of the intent the NLU recognised: the NLU saw the whole utterance."""


@dataclass
class Hit:
    entry: FaqEntry
    score: float


class FaqIndex:
    """Scores every FAQ entry (best of its question and alternatives) against a query."""

    def __init__(self, faq: list[FaqEntry], encoder: SentenceEncoder | None = None) -> None:
        self.entries = faq
        self.encoder = encoder
        self._owner: list[int] = []
        self._texts: list[str] = []
        for i, entry in enumerate(faq):
            for text in entry.phrasings:
                self._owner.append(i)
                self._texts.append(normalize(text))
        self._owner_arr = np.array(self._owner)
        self._vecs = encoder.encode(self._texts) if encoder is not None and self._texts else None

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
            sims = np.array([fuzz.token_set_ratio(norm, t) / 100.0 for t in self._texts])
        best = np.full(len(self.entries), -1.0)
        np.maximum.at(best, self._owner_arr, sims)
        for i, entry in enumerate(self.entries):
            if intent and entry.intent == intent:
                best[i] += INTENT_BONUS
        order = np.argsort(-best)[:k]
        return [Hit(self.entries[int(i)], float(best[i])) for i in order]
