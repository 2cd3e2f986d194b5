"""Slot extraction normalised against the site pack, tolerant of typos and ASR errors.

Each slot value is known by its name and synonyms, in each of the pack's languages
(a translation's ``slots:``: "bono diario" is the day pass). The extractor looks for the
longest exact phrase first, then for near matches (edit distance, and words run
together or split apart: "harbourfront", "north gate") so "union stations" and
"botanical gardens" still resolve. It returns slot type -> value id; a station
after "from" is returned as ``origin``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from appliance.engines.nlu.text import number_words, tokens
from appliance.sitepack.model import SitePack

FUZZY_MIN_CHARS = 5
"""Phrases shorter than this must match exactly (``red`` must not match ``bed``)."""
FUZZY_THRESHOLD = 0.82


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    slot_type: str
    value_id: str

    @property
    def text(self) -> str:
        return " ".join(self.words)


class SlotExtractor:
    """Finds slot values of a site pack in an utterance."""

    def __init__(self, pack: SitePack, *, fuzzy: bool = True) -> None:
        self.fuzzy = fuzzy
        self.phrases: list[_Phrase] = []
        seen: set[tuple[tuple[str, ...], str]] = set()
        for stype, values in pack.slots.items():
            for value in values:
                for form in pack.slot_forms(stype, value):  # every language's
                    words = tuple(number_words(tokens(form)))
                    if words and (words, stype) not in seen:
                        seen.add((words, stype))
                        self.phrases.append(_Phrase(words, stype, value.id))
        self.phrases.sort(key=lambda p: (-len(p.words), -len(p.text)))
        self.max_len = max((len(p.words) for p in self.phrases), default=1)
        # a one-letter word is an identifier ("exit d", "gate a"): near is not it, and
        # "which exit do I take" must not read as Exit D
        self._fuzzy_phrases = [p for p in self.phrases if len(p.text) >= FUZZY_MIN_CHARS
                               and min(len(w) for w in p.words) > 1]
        self._joined = [p.text.replace(" ", "") for p in self._fuzzy_phrases]

    def extract(self, text: str) -> dict[str, str]:
        """Slot type -> value id for every slot found in ``text``."""
        words = number_words(tokens(text))
        used = [False] * len(words)
        found: list[tuple[int, _Phrase]] = []
        for p in self.phrases:  # exact, longest first
            n = len(p.words)
            for i in range(len(words) - n + 1):
                if not any(used[i:i + n]) and tuple(words[i:i + n]) == p.words:
                    found.append((i, p))
                    for k in range(i, i + n):
                        used[k] = True
        if self.fuzzy:
            found.extend(self._fuzzy(words, used))
        return self._assign(words, found)

    def _fuzzy(self, words: list[str], used: list[bool]) -> list[tuple[int, _Phrase]]:
        out: list[tuple[int, _Phrase]] = []
        for n in range(min(self.max_len + 1, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if any(used[i:i + n]):
                    continue
                joined = "".join(words[i:i + n])
                if len(joined) < FUZZY_MIN_CHARS:
                    continue
                hit = process.extractOne(joined, self._joined,
                                         scorer=Levenshtein.normalized_similarity,
                                         score_cutoff=FUZZY_THRESHOLD)
                if hit is not None:
                    p = self._fuzzy_phrases[hit[2]]
                    if abs(len(p.words) - n) > 1:
                        continue
                    out.append((i, p))
                    for k in range(i, i + n):
                        used[k] = True
        return out

    @staticmethod
    def _assign(words: list[str], found: list[tuple[int, _Phrase]]) -> dict[str, str]:
        slots: dict[str, str] = {}
        for i, p in sorted(found, key=lambda f: f[0]):
            stype = p.slot_type
            if stype == "station" and i > 0 and words[i - 1] == "from":
                stype = "origin"
            if stype == "station" and "station" in slots and i > 0 and words[i - 1] != "to":
                continue  # keep the first destination unless this one follows "to"
            slots[stype] = p.value_id
        return slots
