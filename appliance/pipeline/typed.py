"""A touched or typed question: checked, then handed to understanding as a final transcript.

The screen (suggestion buttons, the text box) and the browser page send plain text. It
enters the pipeline after the ASR, as the :class:`~appliance.frames.Transcript` speech
would have produced, so understanding, safety (the danger question and its yes/no),
answers, the voice and the subtitles run exactly as for speech. What cannot be a
question is refused here with one line the screen can show.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from appliance.errors import InputError
from appliance.frames import INPUT_SOURCES

MAX_CHARS = 500
"""Longest question accepted (a paragraph; the text box stops there too)."""


@dataclass(frozen=True)
class Question:
    """A checked question from the screen: its text and how it was asked."""

    text: str
    source: str = "text"
    sign: bool = False
    language: str | None = None
    """The language to answer in, where the screen knows it (a place touched on the
    plan asks in the conversation's language); None: told from the text."""


def _has_control(text: str) -> bool:
    # Cc (control) and Cf (format: bidi overrides, zero-width joiners) never belong in a
    # question; plain spaces and tabs are whitespace and were folded before this
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def check_question(text: object, source: object = "text", sign: object = False) -> Question:
    """The question to ask, or :class:`InputError` with one line for the screen.

    Whitespace runs (spaces, tabs, newlines) fold to one space; empty text, more than
    :data:`MAX_CHARS` characters, control characters, an unknown ``source`` or a
    ``sign`` that is not a bool are refused.
    """
    if not isinstance(text, str):
        raise InputError("the question must be text")
    if source not in INPUT_SOURCES or source == "voice":
        raise InputError(f"source must be 'touch', 'text' or 'sign', not {source!r}")
    if not isinstance(sign, bool):
        raise InputError("sign must be true or false")
    folded = " ".join(text.split())
    if not folded:
        raise InputError("Please type a question first.")
    if len(folded) > MAX_CHARS:
        raise InputError(f"That is too long: please keep a question under {MAX_CHARS} "
                         f"characters ({len(folded)} typed).")
    if _has_control(folded):
        raise InputError("The question has characters that cannot be shown; please "
                         "type it again.")
    return Question(folded, str(source), sign)
