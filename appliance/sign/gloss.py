"""Reply text -> a gloss: the signs to make, in order, each with its words' span.

This is a lexicon look-up with light grammar, not translation:

* words and phrases are looked up longest first ("thank you", "turn left"), then as
  simple lemmas ("toilets" -> toilet, "leaves" -> leave, "closed" -> close);
* articles, copulas, auxiliaries and most prepositions are dropped;
* numbers become number signs (digits, number words, times like 14:30, prices);
* a word with no sign (a station name, the letter of an exit) is fingerspelled;
* cheap topic-comment order: a time phrase ("in 4 minutes", "tomorrow") moves to the
  front of its clause, the question word of a wh-question moves to the end;
* face markers: brows down over a wh-question, brows up over a yes/no question, a
  headshake on a negation and the sign it negates.

Every :class:`GlossItem` keeps the character span of the words it came from, so the
subtitles can highlight the words being signed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from appliance.sign import fingerspell
from appliance.sign.lexicon import Keyframe, Lexicon, load

logger = logging.getLogger(__name__)

CLAUSE_PAUSE_S = 0.25
"""Extra hold at the end of a clause (a comma, a full stop)."""

DROP = frozenset((
    "a", "an", "the", "is", "are", "am", "was", "were", "be", "been", "being", "do", "does",
    "did", "will", "shall", "would", "'s", "to", "at", "in", "on", "of", "for", "by", "as",
    "if", "than", "that", "this", "these", "those", "there", "it", "its", "onto", "and", "but",
    "so", "or", "very", "really", "has", "have", "had",
))
"""Words that carry no sign of their own in this gloss (articles, copulas, auxiliaries,
most prepositions); phrases that contain them ("have to", "next to") match first."""

WH = frozenset({"WHERE", "WHAT", "WHEN", "WHO", "WHY", "HOW", "WHICH", "HOW-MUCH"})
TIME_SIGNS = frozenset({"MINUTE", "HOUR", "SECOND", "DAY", "WEEK", "NOW", "TODAY", "TOMORROW",
                        "YESTERDAY", "MORNING", "AFTERNOON", "NIGHT", "WEEKEND", "MONDAY",
                        "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY",
                        "TIME"})
NEGATIONS = frozenset({"NOT", "NEVER", "CANNOT", "NONE"})

NUMBER_WORDS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty"))}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
                     "hundred": 100, "half": 30})

_TOKEN_RE = re.compile(r"[£$€]?\d+(?:[:.]\d+)?(?:am|pm)?|[A-Za-z\u00C0-\u024F][\w'’-]*|[?.!,;:]")


@dataclass(frozen=True)
class GlossItem:
    """One sign, fingerspelled word or number in the gloss."""

    gloss: str
    """``TOILET``, ``fs-NORTHGATE`` (fingerspelled) or ``#4`` (a number)."""
    kind: str
    """``sign``, ``spell`` or ``number``."""
    span: tuple[int, int]
    """Characters of the reply text this item signs (start, end)."""
    keys: tuple[Keyframe, ...]
    face: str = ""
    """A marker over the whole item (question brows, negation headshake)."""
    pause_after: float = 0.0
    inner_s: float = 0.15
    """Transition between this item's own keyframes (short for fingerspelling)."""

    @property
    def duration(self) -> float:
        """Seconds the item takes without the moves into and out of it."""
        return sum(k.dur for k in self.keys) + self.inner_s * max(0, len(self.keys) - 1)


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        return self.text.lower().replace("’", "'")


def _lemmas(w: str) -> list[str]:
    """The word and the simple lemmas it may be an inflection of."""
    out = [w]
    if w.endswith("'s"):
        out.append(w[:-2])
    if w.endswith("ies"):
        out.append(w[:-3] + "y")
    if w.endswith("es"):
        out.append(w[:-2])
    if w.endswith("s") and not w.endswith("ss"):
        out.append(w[:-1])
    if w.endswith("ing"):
        out += [w[:-3], w[:-3] + "e"]
    if w.endswith("ed"):
        out += [w[:-2], w[:-1]]
    return out


def _number_value(tok: str) -> list[int] | None:
    """Number signs for a numeric token (14:30 -> [14, 30], £2.80 -> [2, 80])."""
    t = tok.lstrip("£$€").lower().removesuffix("am").removesuffix("pm")
    if t.isdigit():
        return [int(t)]
    m = re.fullmatch(r"(\d+)[:.](\d+)", t)
    if m:
        return [int(m.group(1)), int(m.group(2))]
    if tok.lower() in NUMBER_WORDS:
        return [NUMBER_WORDS[tok.lower()]]
    return None


def _sign_item(lex: Lexicon, gloss: str, span: tuple[int, int]) -> GlossItem:
    return GlossItem(gloss, "sign", span, lex.signs[gloss].keys)


def _clause_items(tokens: list[_Token], lex: Lexicon) -> list[GlossItem]:
    items: list[GlossItem] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        matched = False
        for n in range(min(lex.max_words, len(tokens) - i), 1, -1):
            phrase = " ".join(t.low for t in tokens[i : i + n])
            gloss = lex.index.get(phrase)
            if gloss is not None:
                items.append(_sign_item(lex, gloss, (tok.start, tokens[i + n - 1].end)))
                i += n
                matched = True
                break
        if matched:
            continue
        i += 1
        values = _number_value(tok.text)
        if values is not None:
            if ":" in tok.text and "TIME" in lex.signs:  # a clock time: TIME 14 30
                items.append(_sign_item(lex, "TIME", (tok.start, tok.end)))
            for v in values:
                items.append(GlossItem(f"#{v}", "number", (tok.start, tok.end),
                                       fingerspell.number(v)))
            if tok.text[0] in "£$€" and "MONEY" in lex.signs:
                items.append(_sign_item(lex, "MONEY", (tok.start, tok.end)))
            continue
        low = tok.low
        if len(tok.text) == 1 and tok.text.isupper() and tok.text != "I" and i > 1:
            # a lone capital inside a clause names something (exit A, line B): spell it
            items.append(GlossItem(f"fs-{tok.text}", "spell", (tok.start, tok.end),
                                   fingerspell.spell(tok.text)))
            continue
        if low in DROP:
            continue
        gloss = next((g for w in _lemmas(low) if (g := lex.index.get(w)) is not None), None)
        if gloss is not None:
            items.append(_sign_item(lex, gloss, (tok.start, tok.end)))
            continue
        letters = fingerspell.letters_of(tok.text)
        if letters:
            items.append(GlossItem(f"fs-{letters.upper()}", "spell", (tok.start, tok.end),
                                   fingerspell.spell(tok.text),
                                   inner_s=fingerspell.LETTER_MOVE_S))
    return items


def _reorder(items: list[GlossItem], question: bool) -> list[GlossItem]:
    """Time phrase first; a wh-question's question word last; question and negation faces."""
    time_idx: list[int] = []
    for k, it in enumerate(items):
        if it.gloss in TIME_SIGNS:
            time_idx.append(k)
            j = k - 1
            while j >= 0 and items[j].kind == "number" and j not in time_idx:
                time_idx.append(j)  # "4 minutes": the number goes with its unit
                j -= 1
            j = k + 1
            while it.gloss == "TIME" and j < len(items) and items[j].kind == "number":
                time_idx.append(j)  # "TIME 23 45": the clock time goes with TIME
                j += 1
    time_idx = sorted(set(time_idx))
    if time_idx and time_idx[0] != 0:
        items = [items[k] for k in time_idx] + [it for k, it in enumerate(items)
                                                 if k not in time_idx]
    wh = [it for it in items if it.gloss in WH]
    if question and wh:
        items = [it for it in items if it.gloss not in WH] + wh
    if question:
        face = "brows_down" if wh else "brows_up"
        items = [replace(it, face=face) for it in items]
    out: list[GlossItem] = []
    negate_next = False
    for it in items:
        if negate_next and not it.face:
            it = replace(it, face="headshake")
        negate_next = it.gloss in NEGATIONS
        if negate_next and not it.face:
            it = replace(it, face="headshake")
        out.append(it)
    return out


def gloss_reply(text: str, lexicon: Lexicon | None = None) -> list[GlossItem]:
    """The gloss of a reply, clause by clause."""
    lex = lexicon or load()
    items: list[GlossItem] = []
    clause: list[_Token] = []
    for m in _TOKEN_RE.finditer(text):
        tok = _Token(m.group(), m.start(), m.end())
        if tok.text in "?.!,;:" and len(tok.text) == 1:
            part = _reorder(_clause_items(clause, lex), question=tok.text == "?")
            if part:
                part[-1] = replace(part[-1], pause_after=CLAUSE_PAUSE_S)
            items += part
            clause = []
        else:
            clause.append(tok)
    if clause:
        items += _reorder(_clause_items(clause, lex), question=False)
    logger.debug("gloss of %r: %s", text, gloss_text(items))
    return items


def gloss_text(items: list[GlossItem]) -> str:
    """The gloss as one line (``TOILET EXIT fs-B LEFT``), for logs and tests."""
    return " ".join(it.gloss for it in items)
