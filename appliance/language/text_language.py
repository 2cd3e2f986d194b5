"""Which of the site pack's languages a typed question is in.

Speech gets its language from the ASR's language ID; a typed or touched question has only
its letters. :class:`TextLanguage` is a multinomial naive Bayes over character 1-3-grams
(with word edges), trained on the pack's own phrasings per language: the intent examples
and FAQ questions of the first language, each translation's ``examples`` and FAQ
``questions``. Trained in milliseconds when the kiosk starts, deterministic, numpy only.
A question with no letters, or a pack with one language, is the pack's first language.
"""

from __future__ import annotations

import math
from collections import Counter

from appliance.engines.nlu.text import normalize
from appliance.sitepack.model import SitePack

MIN_MARGIN = 1.0
"""Log-likelihood lead (per question) another language needs over the first one: a short,
ambiguous question ("taxi?") stays in the pack's own language."""


def _grams(text: str, skip: frozenset[str] = frozenset()) -> list[str]:
    out: list[str] = []
    for word in normalize(text).split():
        if word in skip or not any(ch.isalpha() for ch in word):
            continue  # names and numbers are alike in every language
        w = f" {word} "
        out += [w[i:i + n] for n in (1, 2, 3) for i in range(len(w) - n + 1)]
    return out


class TextLanguage:
    """Tells a question's language among the languages it was trained on."""

    def __init__(self, samples: dict[str, list[str]], default: str,
                 names: frozenset[str] = frozenset()) -> None:
        """``names``: words of the site's names ("central", "westfield"), which every
        language says alike and so tell nothing."""
        self.default = default
        self.names = names
        self.languages = [lang for lang, lines in samples.items() if lines]
        self._counts = {lang: Counter(g for line in samples[lang] for g in _grams(line, names))
                        for lang in self.languages}
        vocab = set().union(*self._counts.values()) if self._counts else set()
        self._vocab = len(vocab) + 1
        self._totals = {lang: sum(c.values()) for lang, c in self._counts.items()}

    @classmethod
    def for_pack(cls, pack: SitePack) -> TextLanguage:
        """Trained on ``pack``'s phrasings in each of its languages."""
        first = [e for intent in pack.intents.values() for e in intent.examples]
        first += [p for entry in pack.faq for p in entry.phrasings]
        samples = {pack.language: first}
        for lang, tr in pack.translations.items():
            lines = [e for examples in tr.examples.values() for e in examples]
            lines += [q for faq in tr.faq.values() for q in faq.questions]
            samples[lang] = lines
        names = frozenset(w for values in pack.slots.values() for value in values
                          for form in (value.name, *value.synonyms)
                          for w in normalize(form).split())
        return cls(samples, pack.language, names)

    def _score(self, lang: str, grams: list[str]) -> float:
        counts, total = self._counts[lang], self._totals[lang] + self._vocab
        return sum(math.log((counts.get(g, 0) + 1) / total) for g in grams)

    def detect(self, text: str) -> str:
        """The language ``text`` is most likely in (the default when unsure)."""
        grams = _grams(text, self.names)
        if len(self.languages) < 2 or not grams or self.default not in self._counts:
            return self.default
        scores = {lang: self._score(lang, grams) for lang in self.languages}
        best = max(scores, key=lambda lang: scores[lang])
        if best != self.default and scores[best] - scores[self.default] < MIN_MARGIN:
            return self.default
        return best
