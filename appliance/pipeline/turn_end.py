"""Has the visitor finished the sentence? Judged from the words heard so far.

While the visitor pauses, the ASR decodes what it has (speculation). Those words
tell the endpointer how long to wait: a question that is syntactically whole
("Where is the nearest toilet?") needs less silence than one left hanging on a
filler, a conjunction, an article or a preposition ("I need to get to the ... um").
A judgement of ``None`` keeps the usual wait. Misjudging "complete" costs a split
question, so only Whisper's own sentence punctuation on a word that can end a
sentence counts as complete; "incomplete" only ever lengthens the wait.
"""

from __future__ import annotations

import re

# Words a sentence does not end on: fillers, conjunctions, articles and
# possessives, prepositions that need an object, and openers of a clause. Words
# that can close a question ("where is it?", "can you say that again please?",
# "thank you.", "which way is it going?") are not here.
OPEN_ENDINGS = frozenset([
    "um", "umm", "uh", "uhh", "er", "erm", "hmm",
    "and", "or", "but", "because", "if", "than", "whose",
    "the", "a", "an", "my", "your", "our", "their", "its", "every",
    "to", "of", "for", "with", "from", "at", "into", "onto", "via", "towards", "toward",
    "between", "through", "across", "until",
    "i", "i'm", "want", "need", "trying", "looking", "gonna", "wanna",
])

_WORD = re.compile(r"[a-z']+")


def words_complete(text: str) -> bool | None:
    """``True`` if ``text`` reads as a finished sentence, ``False`` if it is left
    open, ``None`` if the words do not say (no words, or no sentence punctuation)."""
    stripped = text.strip()
    words = _WORD.findall(stripped.lower().replace("’", "'"))
    if not words:
        return None
    if stripped.endswith(("...", "…", ",", "-", "—")) or words[-1] in OPEN_ENDINGS:
        return False
    if stripped.endswith(("?", ".", "!")):
        return True
    return None
