"""Split reply text into sentences, so the first one can play while the rest is made."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_CLAUSE = re.compile(r"(?<=[,;:])\s+")
_WORD_GAP = re.compile(r"\s+")
_PHRASE_OPENERS = frozenset({
    "and", "or", "but", "at", "in", "on", "from", "with", "within", "without", "next",
    "near", "by", "for", "until", "between", "opposite", "behind", "inside", "outside",
    "through", "towards", "across", "along", "above", "below", "beside", "around",
    "during", "after", "before", "via", "than", "which", "where", "when", "because", "then",
    "if"})
"""Words a phrase can start with, where a speaker may breathe ("... in the morning | and
closes at ..."). "to" only before a determiner or a name (:func:`_opens_phrase`)."""
_DETERMINERS = frozenset({"the", "a", "an", "every", "any", "each", "your", "our", "this",
                          "that", "all"})
_ENDS_SAYABLE = tuple(".!?,;:。！？，；：)\"'")

FIRST_MIN_CHARS = 10
"""A first sentence this long is said alone ("I'm sorry."), not joined to the next."""
PHRASE_HEAD_MIN_CHARS = 20
"""A phrase head shorter than this is more often a noun phrase torn from its verb ("A
HarbourCard | or contactless ...", "Hand the card in | at ...") than a phrase."""
FIRST_MAX_CHARS = 45
"""The longest first chunk: Piper takes ~1.3 ms a character here (65 ms at 45)."""


def split_sentences(text: str, min_chars: int = 12,
                    first_max_chars: int = FIRST_MAX_CHARS) -> list[str]:
    """Sentences of ``text``; very short ones are joined to the next (one breath).

    The first chunk is the one the visitor waits for (synthesis time grows with its
    length), so it is kept short: a first sentence of :data:`FIRST_MIN_CHARS` or more
    is not joined to the next, and one longer than ``first_max_chars`` is cut at its
    first clause boundary (comma, semicolon), else before a word that opens a phrase
    ("and", "at", "next" ...). A chunk cut that way ends in a word, not a mark:
    :func:`speakable` gives the engine its text with a comma, so the voice makes the
    pause and rise of a comma there and no seam.
    """
    out = _sentences_first_alone(text, min_chars) or _sentences(text, min_chars)
    while out and len(out[0]) > first_max_chars:
        parts = _first_clause(out[0], min_chars) or _phrase_cut(out[0], min_chars,
                                                                first_max_chars)
        if not parts:
            break
        out[:1] = parts
    return out


def speakable(chunk: str) -> str:
    """What the engine should say for ``chunk``: a chunk cut mid-sentence before a
    phrase ends in a bare word and is said as if a comma followed it."""
    chunk = chunk.rstrip()
    return chunk + "," if is_phrase_head(chunk) else chunk


def is_phrase_head(chunk: str) -> bool:
    """Whether ``chunk`` was cut mid-sentence before a phrase (see :func:`speakable`)."""
    chunk = chunk.rstrip()
    return bool(chunk) and not chunk.endswith(_ENDS_SAYABLE)


def _sentences_first_alone(text: str, min_chars: int) -> list[str]:
    """The sentences with the first said alone when it is :data:`FIRST_MIN_CHARS` long;
    [] when there is nothing to change."""
    parts = _parts(text)
    if len(parts) < 2 or len(parts[0]) < FIRST_MIN_CHARS or len(parts[0]) >= min_chars:
        return []
    rest = _join_all(parts[1:], min_chars)
    return [parts[0], *rest] if len(" ".join(parts[1:])) >= min_chars else []


def _first_clause(sentence: str, min_chars: int) -> list[str]:
    """``[head, rest]`` split at the first clause boundary leaving both parts sayable."""
    for match in _CLAUSE.finditer(sentence):
        if match.start() >= min_chars and len(sentence) - match.end() >= min_chars:
            return [sentence[: match.start()], sentence[match.end():]]
    return []


def _phrase_cut(sentence: str, min_chars: int, max_chars: int) -> list[str]:
    """``[head, rest]`` cut before a phrase-opening word: the longest head within
    ``max_chars`` (else the shortest there is), never inside brackets."""
    cuts: list[int] = []
    depth = 0
    pos = 0
    for gap in _WORD_GAP.finditer(sentence):
        depth += sentence.count("(", pos, gap.start()) - sentence.count(")", pos, gap.start())
        pos = gap.start()
        if (depth <= 0 and _opens_phrase(sentence[gap.end():])
                and gap.start() >= PHRASE_HEAD_MIN_CHARS
                and len(sentence) - gap.end() >= min_chars
                and not sentence[:gap.start()].endswith(_ENDS_SAYABLE)):
            cuts.append(gap.start())
    if not cuts:
        return []
    within = [c for c in cuts if c <= max_chars]
    at = max(within) if within else min(cuts)
    return [sentence[:at], sentence[at:].lstrip()]


def _opens_phrase(rest: str) -> bool:
    """Whether ``rest`` of a sentence starts with a phrase a speaker may pause before:
    an opener word, or "to" as a preposition ("to the ...", "to Airport Terminal"), not
    an infinitive ("to go")."""
    words = rest.split(" ", 2)
    first = words[0].lower()
    if first != "to":
        return first in _PHRASE_OPENERS
    after = words[1] if len(words) > 1 else ""
    return after.lower() in _DETERMINERS or after[:1].isupper() or after[:1].isdigit()


def _parts(text: str) -> list[str]:
    """The sentences of ``text`` as written."""
    return [p.strip() for p in _BOUNDARY.split(text.strip()) if p and p.strip()]


def _sentences(text: str, min_chars: int) -> list[str]:
    return _join_all(_parts(text), min_chars)


def _join_all(parts: list[str], min_chars: int) -> list[str]:
    """``parts`` with the short ones joined to the next (the last to the one before)."""
    out: list[str] = []
    carry = ""
    for part in parts:
        carry = _join(carry, part) if carry else part
        if len(carry) >= min_chars:
            out.append(carry)
            carry = ""
    if carry:
        if out and len(carry) < min_chars:
            out[-1] = _join(out[-1], carry)
        else:
            out.append(carry)
    return out


def _join(a: str, b: str) -> str:
    """Join two pieces with a space, except after CJK punctuation (no spaces there)."""
    return a + b if a.endswith(("。", "！", "？")) else f"{a} {b}"
