"""Split reply text into sentences, so the first one can play while the rest is made."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_CLAUSE = re.compile(r"(?<=[,;:])\s+")


def split_sentences(text: str, min_chars: int = 12, first_max_chars: int = 60) -> list[str]:
    """Sentences of ``text``; very short ones are joined to the next (one breath).

    A long first sentence is cut at its first clause boundary (comma, semicolon)
    so the first audio is ready sooner: synthesis time grows with length.
    """
    out = _sentences(text, min_chars)
    if out and len(out[0]) > first_max_chars:
        out[:1] = _first_clause(out[0], min_chars)
    return out


def _first_clause(sentence: str, min_chars: int) -> list[str]:
    """``[head, rest]`` split at the first clause boundary leaving both parts sayable."""
    for match in _CLAUSE.finditer(sentence):
        if match.start() >= min_chars and len(sentence) - match.end() >= min_chars:
            return [sentence[: match.start()], sentence[match.end():]]
    return [sentence]


def _sentences(text: str, min_chars: int) -> list[str]:
    parts = [p.strip() for p in _BOUNDARY.split(text.strip()) if p and p.strip()]
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
