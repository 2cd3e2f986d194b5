"""Text normalisation shared by the NLU engines: lower case, no punctuation, ASR-ish spelling."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

_PUNCT = re.compile(r"[^\w\s']+")
_APOS = re.compile(r"(?<!\w)'|'(?!\w)")
_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
            "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
_CONTRACTIONS = {"whats": "what's", "wheres": "where's", "whens": "when's", "im": "i'm",
                 "dont": "don't", "cant": "can't", "didnt": "didn't", "isnt": "isn't",
                 "wont": "won't", "ive": "i've", "youre": "you're", "thats": "that's",
                 "theres": "there's", "hows": "how's", "doesnt": "doesn't", "id": "i'd",
                 "u": "you", "ur": "your",
                 "pls": "please", "plz": "please", "thx": "thanks", "wanna": "want to",
                 "gonna": "going to", "gotta": "got to"}

_STOP = (
    "a an the i me my to of for is are am be on in at it this that do does can could would "
    "please you your there here what's where's with and or so just how what where when which "
    "who i'm i'd get want need like")
STOPWORDS = frozenset(_STOP.split())


def normalize(text: str) -> str:
    """Lower-case, drop punctuation (keep apostrophes inside words), collapse spaces."""
    text = text.lower().replace("’", "'").replace("-", " ")
    text = _PUNCT.sub(" ", text)
    text = _APOS.sub(" ", text)
    words = [_CONTRACTIONS.get(w, w) for w in text.split()]
    return " ".join(words)


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    return normalize(text).split()


def number_words(words: list[str]) -> list[str]:
    """Spell small numbers as digits ("line two" -> "line 2") for slot matching."""
    return [_NUMBERS.get(w, w) for w in words]


def similarity(a: str, b: str) -> float:
    """1 - normalised Levenshtein distance between two strings (0..1)."""
    return float(Levenshtein.normalized_similarity(a, b))


class SpellFixer:
    """Corrects words to the nearest word of a known vocabulary (typos, ASR slips).

    A word not in the vocabulary, of 4+ letters, one edit (or one swapped pair) from
    a vocabulary word is replaced by it ("helo" -> "hello", "trane" -> "train");
    the most frequent candidate wins. Numbers, vocabulary words and ``known`` words
    (real words the pack never uses, e.g. the encoder's word list: "painted" must not
    become "fainted") are left alone.
    """

    def __init__(self, texts: list[str], known: Iterable[str] = ()) -> None:
        from collections import Counter

        self.counts: Counter[str] = Counter(w for t in texts for w in normalize(t).split())
        self.vocab = list(self.counts)
        self.known = frozenset(known)
        self._cache: dict[str, str] = {}

    def fix_word(self, word: str) -> str:
        if word in self.counts or word in self.known or len(word) < 4 or word.isdigit():
            return word
        if word not in self._cache:
            from rapidfuzz import process
            from rapidfuzz.distance import OSA

            hits = process.extract(word, self.vocab, scorer=OSA.distance, score_cutoff=1,
                                   limit=8)
            best = max(hits, key=lambda h: (self.counts[h[0]], -h[1]))[0] if hits else word
            self._cache[word] = best
        return self._cache[word]

    def fix(self, text: str) -> str:
        """``text`` normalised, with each unknown word corrected."""
        return " ".join(self.fix_word(w) for w in normalize(text).split())
