"""Split reply text into sentences, so the first one can play while the rest is made."""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def split_sentences(text: str, min_chars: int = 12) -> list[str]:
    """Sentences of ``text``; very short ones are joined to the next (one breath)."""
    parts = [p.strip() for p in _BOUNDARY.split(text.strip()) if p and p.strip()]
    out: list[str] = []
    carry = ""
    for part in parts:
        carry = f"{carry} {part}".strip() if carry else part
        if len(carry) >= min_chars:
            out.append(carry)
            carry = ""
    if carry:
        if out and len(carry) < min_chars:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out
