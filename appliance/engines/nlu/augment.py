"""Training-time augmentation: noisy copies of the pack's examples, made programmatically.

Visitors' words reach the NLU through a speech recogniser or a touch keyboard, so
the intent head also trains on copies of each example with the errors those make:
typos (a dropped, doubled, swapped or replaced letter), ASR slips (homophones,
dropped short words, fillers such as "um" or "excuse me"). Everything is seeded so
training stays reproducible. Lower case and punctuation need no copies: the text is
normalised before it is encoded.
"""

from __future__ import annotations

import random

_HOMOPHONES = {
    "to": ["too", "two"], "two": ["to"], "for": ["four"], "where": ["wear", "were"],
    "there": ["their"], "their": ["there"], "right": ["write"], "know": ["no"],
    "hear": ["here"], "here": ["hear"], "buy": ["by", "bye"], "by": ["buy"],
    "way": ["weigh"], "wait": ["weight"], "fare": ["fair"], "which": ["witch"],
    "i'm": ["im", "i am"], "what's": ["whats", "what is"], "where's": ["wheres", "where is"],
    "when's": ["whens", "when is"], "is": ["s"], "the": ["a", "da"], "you": ["u", "ya"],
    "your": ["you're", "ur"], "next": ["nex"], "train": ["trains"], "ticket": ["tickets"],
}
_FILLERS = ["um", "uh", "erm", "so", "ok", "excuse me", "sorry", "hi", "please", "like"]
_DROPPABLE = frozenset(["a", "an", "the", "is", "are", "to", "of", "do", "does", "can", "i",
                        "please"])
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(word: str, rng: random.Random) -> str:
    """``word`` with one keyboard-style error (words under 4 letters are left alone)."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + rng.choice(_LETTERS) + word[i + 1:]


def noisy(text: str, rng: random.Random) -> str:
    """One noisy copy of ``text`` (already lower case, no punctuation): 1-2 errors."""
    words = text.split()
    if not words:
        return text
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(4)
        i = rng.randrange(len(words))
        if kind == 0:
            words[i] = typo(words[i], rng)
        elif kind == 1 and words[i] in _HOMOPHONES:
            words[i] = rng.choice(_HOMOPHONES[words[i]])
        elif kind == 2 and len(words) > 3 and words[i] in _DROPPABLE:
            del words[i]
        elif kind == 3:
            words.insert(0 if rng.random() < 0.7 else len(words), rng.choice(_FILLERS))
        else:
            words[i] = typo(words[i], rng)
    return " ".join(words)


def augment(texts: list[str], labels: list[str], *, copies: int = 1, seed: int = 11,
            skip: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """``copies`` noisy versions of each example (labels kept), new texts only.

    Labels in ``skip`` get none (e.g. out-of-scope text, which needs no robustness).
    """
    rng = random.Random(seed)
    seen = set(texts)
    out_t: list[str] = []
    out_l: list[str] = []
    for text, label in zip(texts, labels, strict=True):
        if label in skip:
            continue
        for _ in range(copies):
            new = noisy(text, rng)
            if new not in seen:
                seen.add(new)
                out_t.append(new)
                out_l.append(label)
    return out_t, out_l
