"""Training data for the end-of-turn model, generated from a site pack (never its eval sets).

Finished utterances are the lines a visitor says to this kiosk: the pack's intent examples
(slots expanded), FAQ questions and ``train/*.jsonl`` visitor lines
(:func:`~appliance.engines.nlu.training.intent_examples`), plus the kiosk's general
out-of-scope sentences. Unfinished ones are their proper prefixes, cut after 1..n-1 words;
a prefix that is itself a line of the set ("where is the toilet" of "where is the toilet
please") is dropped, since it is not unfinished.

What the model sees live is Whisper's guess during a pause, so each row gets the
punctuation Whisper tends to write. Whisper closes fragments as readily as sentences: on
the bench questions cut mid-way and spoken by espeak-ng it wrote "How do I top up?",
"Where can?", "I need to speak." for well over half of them. So a finished line mostly gets
its sentence mark (sometimes none or the wrong one) and an unfinished one the same mark
almost half the time, else none, an ellipsis or a comma; some unfinished rows end on a
filler ("um"). The model has to learn the end of a sentence from its words.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

from appliance.engines.nlu.oos_data import all_oos
from appliance.engines.nlu.training import intent_examples
from appliance.sitepack.model import SitePack

_WORD = re.compile(r"[a-z0-9']+")
QUESTION_OPENERS = frozenset([
    "what", "what's", "whats", "where", "where's", "wheres", "when", "which", "who", "whose",
    "why", "how", "is", "are", "am", "was", "were", "do", "does", "did", "can", "could",
    "will", "would", "should", "shall", "may", "have", "has",
])
FILLERS = ("um", "uh", "er", "hmm")
HELD_OUT = 0.2
"""Share of source lines (with all their prefixes) kept out of training to set thresholds."""


@dataclass(frozen=True)
class Row:
    text: str
    finished: bool
    held_out: bool


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (curly apostrophes straightened)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def source_lines(pack: SitePack) -> list[str]:
    """The finished lines: the pack's visitor lines and the general out-of-scope ones,
    lower-cased word sequences, deduplicated in a stable order."""
    texts, _ = intent_examples(pack)
    lines = (" ".join(words(t)) for t in [*texts, *all_oos()])
    return [line for line in dict.fromkeys(lines) if line]


def _held_out(line: str) -> bool:
    # by line, so a line's prefixes never sit on both sides of the split
    return zlib.crc32(line.encode()) % 1000 < HELD_OUT * 1000


def _marks(line: str) -> tuple[str, str]:
    """(the sentence mark Whisper would write on ``line``, the other one)."""
    right = "?" if line.split()[0] in QUESTION_OPENERS else "."
    return right, "." if right == "?" else "?"


def _finished_mark(line: str, rng: random.Random) -> str:
    right, wrong = _marks(line)
    return rng.choices([right, "", wrong, "!"], [0.75, 0.17, 0.06, 0.02])[0]


def _open_mark(line: str, rng: random.Random) -> str:
    right, wrong = _marks(line)
    return rng.choices([right, "", "...", ",", wrong, " -"],
                       [0.45, 0.3, 0.1, 0.07, 0.05, 0.03])[0]


def rows(pack: SitePack, *, seed: int = 17) -> list[Row]:
    """Finished lines and unfinished prefixes with Whisper-style punctuation noise."""
    rng = random.Random(seed)
    lines = source_lines(pack)
    complete = set(lines)
    out: list[Row] = []
    for line in lines:
        held = _held_out(line)
        out.append(Row(line + _finished_mark(line, rng), True, held))
        tokens = line.split()
        for cut in range(1, len(tokens)):
            prefix = " ".join(tokens[:cut])
            if prefix in complete:
                continue
            out.append(Row(prefix + _open_mark(prefix, rng), False, held))
        if rng.random() < 0.25:  # the visitor stops to think: a filler before the pause
            cut = rng.randrange(1, len(tokens) + 1)
            filler = rng.choice(FILLERS)
            head = " ".join(tokens[:cut])
            out.append(Row(f"{head}, {filler}{_open_mark(head, rng)}", False, held))
    return out
