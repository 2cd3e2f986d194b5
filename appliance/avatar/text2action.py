"""Text2Action: gestures planned from the reply's words, timed by the TTS alignment.

Piper's phoneme stream marks word boundaries with ``' '`` and sentence bounds with
``'^'``/``'$'``; :func:`word_timings` turns it into one :class:`WordTiming` per
word of the reply text (falling back to spreading words by length when the counts
disagree, e.g. "10:30" spoken as three words). :func:`plan_gestures` finds what in
the answer calls for a gesture and times each stroke to land on its word.

A direction is read from the answer's *spatial phrases* ("on your left", "turn
right", "to the left of the gates", "straight ahead"), never from a lone word: in
"left luggage" or "none left" the word is not a direction and nothing points. A
caller that knows the answer's direction from its structured data (an exit's
``directions`` in the site pack) passes it as ``direction`` and it wins.

A reply that shows something (a picture, a video or a drawn map on the answer card)
gets one ``point_media`` near its start (``media=True``): the hand points at the card
on the first word, or right after a spatial gesture that starts sooner, so the
direction an answer gives is never lost to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appliance.frames import PhonemeTiming, WordTiming

if TYPE_CHECKING:
    from appliance.sitepack.model import SitePack

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
    """``point_left``, ``point_right``, ``point_ahead``, ``open_hand``, ``point_media``
    (toward the answer card) or ``nod``."""
    start: float
    apex: float
    end: float
    word: str = ""


GESTURES = ("point_left", "point_right", "point_ahead", "open_hand", "point_media", "nod")

# words (lower case, without punctuation) that trigger a gesture on their own
_TRIGGERS: dict[str, str] = {
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
# spatial phrases: (words before, the side word, words after) that make a direction
_SIDE_BEFORE = frozenset({"turn", "keep", "bear", "go", "then", "head", "veer", "your",
                          "its", "it's"})
_SIDE_THE = frozenset({"to", "on", "at"})
_SIDE_AFTER = frozenset({"side", "hand", "handside", "of"})
_AHEAD = {("straight", "ahead"), ("straight", "on"), ("go", "straight"), ("right", "ahead"),
          ("ahead", "of"), ("in", "front")}

_DIRECTIONS = frozenset({"point_left", "point_right", "point_ahead"})

LEAD_S = 0.35
"""Preparation: the hand starts moving this long before the stroke."""
HOLD_S = 0.7
"""The gesture holds this long after its word ends."""
RELAX_S = 0.45
"""Retraction back to rest."""
NOD_S = 0.6
"""A nod's length."""
MEDIA_HOLD_S = 1.3
"""A point at the answer card holds this long after its stroke."""
MEDIA_MIN_S = 0.8
"""A point at the card is held at least this long, else it waits for the next free spot."""


def text_words(text: str) -> list[str]:
    """Words of the reply text as spoken units (CJK runs split per character group)."""
    words: list[str] = []
    for token in _WORD_RE.findall(text):
        if _CJK_RE.search(token):
            words.extend(ch for ch in token if not ch.isspace())
        else:
            words.append(token)
    return words


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character span of each word of :func:`text_words` (same order, same count), so a
    span of the reply (the word being signed) maps onto a subtitle word."""
    spans: list[tuple[int, int]] = []
    for m in _WORD_RE.finditer(text):
        if _CJK_RE.search(m.group()):
            spans.extend((m.start() + i, m.start() + i + 1) for i, ch in enumerate(m.group())
                         if not ch.isspace())
        else:
            spans.append(m.span())
    return spans


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


def _direction_at(words: Sequence[WordTiming], i: int) -> str | None:
    """The direction a spatial phrase starting at word ``i``'s side word gives, if any."""
    w = [x.word.lower().strip("'’.,;:!?") for x in words]
    cur = w[i]
    before = w[i - 1] if i > 0 else ""
    before2 = w[i - 2] if i > 1 else ""
    after = w[i + 1] if i + 1 < len(w) else ""
    if cur in ("left-hand", "right-hand", "lefthand", "righthand"):
        return "point_left" if cur.startswith("left") else "point_right"
    if cur in ("left", "right"):
        side = f"point_{cur}"
        if after in _SIDE_AFTER or cur + after in ("lefthand", "righthand"):
            return side
        if before in _SIDE_BEFORE:
            return side
        if before == "the" and before2 in _SIDE_THE:
            return side
        return None
    if (cur, after) in _AHEAD and not (cur == "right" or (before == "go" and cur == "straight")):
        return "point_ahead"
    if cur == "go" and after == "straight":
        return "point_ahead"
    return None


def _gesture_for(words: Sequence[WordTiming], i: int) -> str | None:
    w = words[i].word.lower().strip("'’")
    direction = _direction_at(words, i)
    if direction is not None:
        return direction
    if w == "right":
        before = words[i - 1].word.lower() if i > 0 else ""
        if before in {"that's", "thats", "all", "yes", "alright", "quite", "exactly"}:
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


def plan_gestures(words: Sequence[WordTiming], min_gap_s: float = 0.3,
                  direction: str | None = None, media: bool = False) -> list[GestureCue]:
    """Gestures for the answer's content, sorted by start.

    ``direction`` (``point_left``, ``point_right``, ``point_ahead``), known from the
    structured answer, replaces any direction read from the phrases: the stroke
    lands on the first spatial phrase, or on the first word when there is none.
    ``media``: the answer card shows something, so one ``point_media`` goes near the
    start (:func:`media_cue`).

    Nods (head) and arm gestures are separate channels and may overlap; within a
    channel a new gesture cuts the previous one short and never overlaps it.
    """
    channels: dict[bool, list[GestureCue]] = {True: [], False: []}
    directed = False
    for i, word in enumerate(words):
        kind = _gesture_for(words, i)
        if direction is not None and kind in _DIRECTIONS:
            if directed:
                continue
            kind, directed = direction, True
        elif direction is not None and not directed and i == len(words) - 1 and words:
            kind, word, directed = direction, words[0], True
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
    if media and words:
        channels[False] = _with_media_cue(channels[False], words, min_gap_s)
    return sorted(channels[True] + channels[False], key=lambda g: g.start)


def media_cue(words: Sequence[WordTiming], arm: Sequence[GestureCue],
              min_gap_s: float = 0.3) -> GestureCue:
    """The one point at the answer card: its stroke on the first word, or, when an arm
    gesture of the content (a direction) starts before the point has been held
    :data:`MEDIA_MIN_S`, on the first word after that gesture is over."""
    i = 0
    while True:
        word = words[i]
        apex = max(word.start, LEAD_S)
        cue = GestureCue("point_media", apex - LEAD_S, apex, apex + MEDIA_HOLD_S + RELAX_S,
                         word.word)
        clash = next((g for g in arm if g.end > cue.start - min_gap_s
                      and g.start < cue.apex + MEDIA_MIN_S), None)
        if clash is None:
            return cue
        later = next((j for j in range(i + 1, len(words))
                      if words[j].start - LEAD_S >= clash.end + min_gap_s), None)
        if later is None:  # no word after it: point once the voice is done
            apex = max(clash.end + min_gap_s, words[-1].end) + LEAD_S
            return GestureCue("point_media", apex - LEAD_S, apex,
                              apex + MEDIA_HOLD_S + RELAX_S, words[-1].word)
        i = later


def _with_media_cue(arm: list[GestureCue], words: Sequence[WordTiming],
                    min_gap_s: float) -> list[GestureCue]:
    """The arm channel with :func:`media_cue` in it; the next content gesture cuts the
    point short (it is held at least :data:`MEDIA_MIN_S`)."""
    cue = media_cue(words, arm, min_gap_s)
    nxt = next((g for g in arm if g.start >= cue.apex), None)
    if nxt is not None and nxt.start < cue.end:
        cue = GestureCue(cue.kind, cue.start, cue.apex, nxt.start, cue.word)
    return sorted([*arm, cue], key=lambda g: g.start)


def direction_in(text: str) -> str | None:
    """The direction of the first spatial phrase in ``text`` (``point_left``,
    ``point_right``, ``point_ahead``), None when it has none ("behind you")."""
    words = [WordTiming(w, 0.0, 0.0) for w in text_words(text)]
    return next((g for i in range(len(words)) if (g := _direction_at(words, i)) is not None),
                None)


def direction_from_source(source: str, pack: SitePack) -> str | None:
    """Where to point for an answer from its structured source, not its wording.

    ``slot:exit/<id>`` -> the first spatial phrase of that exit's ``directions`` in
    the site pack ("to the left of the ticket gates" -> ``point_left``). Any other
    source (an FAQ about left luggage, a fare) gives None: the reply's own spatial
    phrases decide, and a lone "left" never points.
    """
    kind, _, value_id = source.partition("/")
    if kind != "slot:exit" or not value_id:
        return None
    value = pack.slot_value("exit", value_id)
    directions = value.attrs.get("directions") if value is not None else None
    return direction_in(directions) if isinstance(directions, str) else None


def gestures_from_reply(text: str, phonemes: Sequence[PhonemeTiming],
                        duration: float | None = None, direction: str | None = None,
                        media: bool = False) -> list[GestureCue]:
    """Text2Action in one call: the reply's text and phoneme timings -> gestures
    (``media``: the answer card shows something, point at it near the start)."""
    return plan_gestures(word_timings(text, phonemes, duration), direction=direction,
                         media=media)
