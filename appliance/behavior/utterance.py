"""What counts as an utterance typed or piped into the kiosk's text tools.

Bad input (not UTF-8, binary, empty, far too long) is named in one line and skipped;
the session goes on and nothing else is lost.
"""

from __future__ import annotations

MAX_CHARS = 500
"""Longest utterance taken (a spoken question is a few dozen words)."""


def check_line(raw: bytes | str) -> tuple[str, str]:
    """(text, "") for a usable utterance, ("", why) for bad input: not UTF-8, binary,
    empty or too long. Bad input is reported and skipped; nothing else is lost."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "", "not UTF-8 text"
    text = raw.strip()
    if not text:
        return "", "empty line"
    if any(ord(c) < 32 and c not in "\t" for c in text) or "\ufffd" in text:
        return "", "binary data, not text"
    if len(text) > MAX_CHARS:
        return "", f"too long ({len(text)} characters; at most {MAX_CHARS})"
    return text, ""
