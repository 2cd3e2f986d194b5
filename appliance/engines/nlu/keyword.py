"""Keyword NLU: no model, the always-available fallback.

Scores each intent of the site pack by its keyword phrases (exact, or one typo away
for long words) and by word overlap with its training examples; the best score
below :data:`MIN_SCORE` is ``out_of_scope``. Slots and emotion come from the shared
extractor and emotion fusion, so replies look the same as with the encoder NLU.
"""

from __future__ import annotations

import logging
import re

from rapidfuzz.distance import OSA

from appliance.engines.nlu import emotion
from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.nlu.text import STOPWORDS, normalize
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

MIN_SCORE = 0.9
"""Below this the utterance is ``out_of_scope``."""
PLACEHOLDER = re.compile(r"\{\w+\}")


class KeywordNlu(NluEngine):
    """Rules over the site pack's keywords and examples."""

    name = "keyword"

    def __init__(self, pack: SitePack) -> None:
        self.pack = pack
        self.slots = SlotExtractor(pack)
        self._keywords: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        self._examples: dict[str, list[frozenset[str]]] = {}
        for intent in pack.intents.values():
            if intent.name == "out_of_scope":
                continue
            self._keywords[intent.name] = [
                (tuple(normalize(k).split()), float(len(k.split()))) for k in intent.keywords]
            self._examples[intent.name] = [
                frozenset(_content(PLACEHOLDER.sub(" ", ex))) for ex in intent.examples]

    def scores(self, text: str) -> dict[str, float]:
        """Score per intent (higher is better) for already normalised ``text``."""
        words = text.split()
        content = set(_content(text))
        out: dict[str, float] = {}
        for name, phrases in self._keywords.items():
            kw = sum(weight for phrase, weight in phrases if _has_phrase(words, phrase))
            best_overlap = 0.0
            for ex in self._examples[name]:
                if ex and content:
                    best_overlap = max(best_overlap, len(ex & content) / len(ex | content))
            out[name] = kw + 2.0 * best_overlap
        if out.get("emergency", 0.0) >= 1.0:  # safety first: never lose an emergency
            out["emergency"] += 1.0
        return out

    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        norm = normalize(text)
        scores = self.scores(norm)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, score = ranked[0] if ranked else ("out_of_scope", 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = score / (score + second + 0.5) if score > 0 else 1.0
        if score < MIN_SCORE:
            best, confidence = "out_of_scope", max(0.5, 1.0 - score / MIN_SCORE)
        slots = self.slots.extract(norm)
        allowed = set(self.pack.intents[best].slots) if best in self.pack.intents else set()
        if "station" in allowed:
            allowed.add("origin")
        slots = {k: v for k, v in slots.items() if k in allowed}
        emo = emotion.combine(norm, best, voice, raw=text)
        logger.debug("keyword nlu %r -> %s %.2f %s", text, best, confidence, slots)
        return NluResult(intent=best, confidence=round(min(1.0, confidence), 3), slots=slots,
                         emotion=emo)


def _content(text: str) -> list[str]:
    return [w for w in text.split() if w not in STOPWORDS]


def _has_phrase(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    if n == 0:
        return False
    for i in range(len(words) - n + 1):
        if all(_word_eq(words[i + k], phrase[k]) for k in range(n)):
            return True
    return False


def _word_eq(word: str, key: str) -> bool:
    if word == key:
        return True
    if len(key) >= 5 and len(word) >= 4:
        return bool(OSA.distance(word, key) <= 1)  # one typo or swapped pair
    return False
