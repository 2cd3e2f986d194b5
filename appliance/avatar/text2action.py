"""Text2Action: gestures planned from the reply's words, timed by the TTS alignment.

Piper's phoneme stream marks word boundaries with ``' '`` and sentence bounds with
``'^'``/``'$'``; :func:`word_timings` turns it into one :class:`WordTiming` per
word of the reply text (falling back to spreading words by length when the counts
disagree, e.g. "10:30" spoken as three words). :func:`plan_gestures` finds the
words that call for a gesture (a direction, a greeting, a confirmation) and times
each gesture's stroke to land on its word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.frames import PhonemeTiming, WordTiming

BOUNDARIES = frozenset({" ", "^", "$", "_"})
"""Phonemes that separate words in Piper's output."""

NON_SOUNDS = frozenset("ˈˌː.,;:!?¡¿—–-…\"'()") | BOUNDARIES
"""Phonemes that carry no mouth movement (stress marks, punctuation)."""

_WORD_RE = re.compile(r"[\w'’]+(?:[-:.,][\w'’]+)*", re.UNICODE)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class GestureCue:
    """One gesture: ready at ``start``, stroke peak at ``apex``, back at rest by ``end``."""

    kind: str
    """``point_left``, ``point_right``, ``point_ahead``, ``open_hand`` or ``nod``."""
    start: float
    apex: float
    end: float
    word: str = ""


GESTURES = ("point_left", "point_right", "point_ahead", "open_hand", "nod")

# words (lower case, without punctuation) that trigger a gesture on their own
_TRIGGERS: dict[str, str] = {
    "left": "point_left", "lefthand": "point_left",
    "straight": "point_ahead", "ahead": "point_ahead", "forward": "point_ahead",
    "hello": "open_hand", "hi": "open_hand", "hey": "open_hand", "welcome": "open_hand",
    "greetings": "open_hand", "morning": "open_hand", "evening": "open_hand",
    "yes": "nod", "sure": "nod", "certainly": "nod", "correct": "nod", "exactly": "nod",
    "absolutely": "nod", "okay": "nod", "ok": "nod", "indeed": "nod", "yeah": "nod",
    # Chinese, Japanese, Korean (matched as substrings of a CJK word)
    "左": "point_left", "右": "point_right", "前": "point_ahead", "直走": "point_ahead",
    "你好": "open_hand", "欢迎": "open_hand", "こんにちは": "open_hand",
    "いらっしゃいませ": "open_hand", "안녕하세요": "open_hand", "환영": "open_hand",
    "是的": "nod", "はい": "nod", "네": "nod", "왼쪽": "point_left", "오른쪽": "point_right",
}
# "right" is a direction only after these (else "that's right" is a confirmation)
_RIGHT_CUES = frozenset({"turn", "on", "the", "your", "to", "keep", "bear", "go", "its"})
_RIGHT_AFTER = frozenset({"side", "hand", "exit", "corner", "of", "after", "past"})

LEAD_S = 0.35
"""Preparation: the hand starts moving this long before the stroke."""
HOLD_S = 0.7
"""The gesture holds this long after its word ends."""
RELAX_S = 0.45
"""Retraction back to rest."""
NOD_S = 0.6
"""A nod's length."""


def text_words(text: str) -> list[str]:
    """Words of the reply text as spoken units (CJK runs split per character group)."""
    words: list[str] = []
    for token in _WORD_RE.findall(text):
        if _CJK_RE.search(token):
            words.extend(ch for ch in token if not ch.isspace())
        else:
            words.append(token)
    return words


def phoneme_words(phonemes: Sequence[PhonemeTiming]) -> list[tuple[float, float]]:
    """(start, end) of each word in a Piper phoneme stream (sounds only)."""
    spans: list[tuple[float, float]] = []
    start: float | None = None
    end = 0.0
    for p in phonemes:
        if p.phoneme in BOUNDARIES:
            if start is not None:
                spans.append((start, end))
            start = None
            continue
        if p.phoneme in NON_SOUNDS:
            continue
        if start is None:
            start = p.start
        end = p.end
    if start is not None:
        spans.append((start, end))
    return spans


def word_timings(text: str, phonemes: Sequence[PhonemeTiming],
                 duration: float | None = None) -> list[WordTiming]:
    """Time every word of ``text`` from the phonemes (or spread over ``duration``)."""
    words = text_words(text)
    if not words:
        return []
    spans = phoneme_words(phonemes)
    if len(spans) == len(words):
        return [WordTiming(w, s, e) for w, (s, e) in zip(words, spans, strict=True)]
    if spans:
        begin, finish = spans[0][0], spans[-1][1]
    else:
        begin, finish = 0.0, duration if duration else 0.3 * len(words)
    weights = [len(w) + 1 for w in words]
    total = float(sum(weights))
    out: list[WordTiming] = []
    pos = begin
    for w, weight in zip(words, weights, strict=True):
        step = (finish - begin) * weight / total
        out.append(WordTiming(w, pos, pos + step * 0.9))
        pos += step
    return out


def _gesture_for(words: Sequence[WordTiming], i: int) -> str | None:
    w = words[i].word.lower().strip("'’")
    if w == "right":
        before = words[i - 1].word.lower() if i > 0 else ""
        after = words[i + 1].word.lower() if i + 1 < len(words) else ""
        if before in _RIGHT_CUES or after in _RIGHT_AFTER:
            return "point_right"
        if before in {"that's", "thats", "all", "yes", "alright"} or before.endswith("s"):
            return "nod"
        return None
    if w in _TRIGGERS:
        return _TRIGGERS[w]
    if _CJK_RE.search(w):
        context = "".join(x.word for x in words[i : i + 8])
        for key, kind in _TRIGGERS.items():
            if _CJK_RE.search(key) and context.startswith(key):
                return kind
    return None


def plan_gestures(words: Sequence[WordTiming], min_gap_s: float = 0.3) -> list[GestureCue]:
    """Gestures for the trigger words, sorted by start.

    Nods (head) and arm gestures are separate channels and may overlap; within a
    channel a new gesture cuts the previous one short and never overlaps it.
    """
    channels: dict[bool, list[GestureCue]] = {True: [], False: []}
    for i, word in enumerate(words):
        kind = _gesture_for(words, i)
        if kind is None:
            continue
        if kind == "nod":
            cue = GestureCue(kind, word.start - 0.1, word.start + 0.12, word.start + NOD_S,
                             word.word)
        else:
            cue = GestureCue(kind, word.start - LEAD_S, word.start,
                             word.end + HOLD_S + RELAX_S, word.word)
        cues = channels[kind == "nod"]
        if cues:
            prev = cues[-1]
            if prev.kind == kind and cue.start < prev.end:
                # the same gesture again: extend the hold
                cues[-1] = GestureCue(kind, prev.start, prev.apex, max(prev.end, cue.end),
                                      prev.word)
                continue
            if cue.start < prev.apex + min_gap_s:
                continue  # too close to the previous stroke: keep the first
            if cue.start < prev.end:
                cues[-1] = GestureCue(prev.kind, prev.start, prev.apex, cue.start, prev.word)
        cues.append(cue)
    return sorted(channels[True] + channels[False], key=lambda g: g.start)


def gestures_from_reply(text: str, phonemes: Sequence[PhonemeTiming],
                        duration: float | None = None) -> list[GestureCue]:
    """Text2Action in one call: the reply's text and phoneme timings -> gestures."""
    return plan_gestures(word_timings(text, phonemes, duration))
