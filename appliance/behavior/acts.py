"""Dialogue acts: how an utterance answers the kiosk's own last question or offer.

``affirm`` ("yes please", "go ahead"), ``deny`` ("no thanks", "I'm fine"),
``never_mind`` ("forget it"), ``choice:N`` ("the second one"), ``repeat_slow``
("say that again slowly"), ``correction`` ("no, I meant Northgate") and
``second_question`` (two requests in one utterance: see :func:`split_questions`).

Acts are a closed, tiny vocabulary, so they are read from the words (English, and
Spanish for a pack's second language: "sí", "claro", "no gracias", "olvídalo",
"repítelo más despacio"); what an act
*means* depends on the pending question, which :mod:`appliance.behavior.dialog` holds.
"""

from __future__ import annotations

import re

from appliance.engines.nlu.text import normalize

AFFIRM = {"yes", "yeah", "yep", "yup", "yes please", "please", "please do", "ok", "okay",
          "sure", "of course", "go ahead", "do it", "correct", "right", "that's right",
          "that one", "absolutely", "definitely", "aye", "yes yes", "yes now", "si", "sí",
          "oui", "ja", "da", "hai", "ne", "yes call them", "call them", "call staff",
          "call someone", "yes call", "please call", "yes help", "uh huh", "mhm", "affirmative",
          "yes i do", "yes it is", "yes someone is", "i do", "it is", "hurry", "quickly",
          "yes quickly"}
DENY = {"no", "nope", "nah", "no thanks", "no thank you", "not now", "i'm fine", "i am fine",
        "i'm okay", "i'm ok", "we're fine", "we're ok", "all good", "no need", "don't",
        "do not", "no it's fine", "no i'm fine", "no one is", "nobody is", "no no",
        "non", "nein", "niet", "iie", "no it's ok", "no i'm ok", "false alarm",
        "it was a joke", "just kidding", "i was joking", "no i'm not", "not really",
        "no i don't", "no it isn't", "no it's not", "no one", "no it is fine", "it's fine",
        "it is fine", "no it is ok", "it's ok", "it's okay", "that's fine", "no that's fine",
        "no that's ok", "no thanks i'm fine", "no we are fine", "we are fine", "i am ok"}
NEVER_MIND = {"never mind", "nevermind", "forget it", "forget about it", "cancel",
              "doesn't matter", "it doesn't matter", "don't worry about it", "skip it",
              "leave it"}
# Spanish (a pack's second language): the same acts in the words a visitor says
AFFIRM |= {"claro", "claro que sí", "claro que si", "vale", "por favor", "sí por favor",
           "si por favor", "sí sí", "si si", "de acuerdo", "sí claro", "sí llame", "llame",
           "llámelos", "llame al personal", "sí ahora", "rápido", "sí rápido", "correcto",
           "eso es", "exacto"}
DENY |= {"no gracias", "no muchas gracias", "no hace falta", "estoy bien", "estamos bien",
         "todo bien", "no pasa nada", "nadie", "no nadie", "falsa alarma", "era broma",
         "es broma", "no es nada"}
NEVER_MIND |= {"da igual", "olvídalo", "olvidalo", "olvídelo", "olvidelo", "déjalo", "dejalo",
               "no importa", "no se preocupe", "nada", "cancelar"}
UNSURE = {"no sé", "no se", "no lo sé", "no lo se", "no estoy seguro", "no estoy segura"}
"""Not a no: "I don't know" answering "is someone in danger?" is unclear (it escalates)."""
ORDINALS = {"first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3,
            "3rd": 3, "three": 3, "last": -1}
SLOW = re.compile(r"\b(slow(er|ly)?|more slowly)\b")
REPEAT = re.compile(r"\b(again|repeat|say that|pardon|come again|what did you say)\b")
SLOW_ES = re.compile(r"\b(m[aá]s despacio|despacio|m[aá]s lento|lentamente)\b")
REPEAT_ES = re.compile(r"\b(rep[ií]telo|rep[ií]talo|rep[ií]ta(me)?lo|repita|otra vez|de nuevo)\b")
"""A short Spanish "repeat it" is asked slower: "repítelo", "otra vez", "más despacio"."""
CORRECTION = re.compile(r"^(no|sorry|actually|i mean|i meant|not)\b.*\b(i mean|i meant|"
                        r"i said|actually|instead|rather)\b|^(i meant|i mean|i said)\b")
SPLIT = re.compile(r"\s*(?:\?|;|\balso\b|\band also\b|\bplus\b|\band then\b|\band\b(?= (?:"
                   r"where|when|what|how|which|is|are|can|do|does|could|who|i need|i want))|"
                   r"\bbut\b(?= (?:where|when|what|how|which)))\s*")
_FILLER = {"please", "thanks", "thank", "you", "well", "um", "uh", "oh", "just", "then",
           "mate", "sir", "madam"}


def _core(text: str) -> str:
    words = [w for w in normalize(text).split() if w not in _FILLER]
    return " ".join(words)


def detect(text: str) -> list[str]:
    """The acts in one utterance (empty for a plain request)."""
    norm = normalize(text)
    core = _core(text)
    acts: list[str] = []
    short = len(norm.split()) <= 4
    if (SLOW.search(norm) and (REPEAT.search(norm) or short)) or (
            short and (SLOW_ES.search(norm) or REPEAT_ES.search(norm))):
        acts.append("repeat_slow")
    if norm in UNSURE or core in UNSURE:
        return acts
    if core in NEVER_MIND or norm in NEVER_MIND or any(
            norm.startswith(p + " ") for p in NEVER_MIND):
        acts.append("never_mind")
    elif norm in AFFIRM or core in AFFIRM or _leads(norm, AFFIRM, 3):
        acts.append("affirm")
    elif norm in DENY or core in DENY or _leads(norm, DENY, 3):
        acts.append("deny")
    choice = _choice(norm)
    if choice:
        acts.append(f"choice:{choice}")
    if CORRECTION.search(norm):
        acts.append("correction")
    if len(split_questions(text)) > 1:
        acts.append("second_question")
    return acts


def only_deny(text: str) -> bool:
    """The whole utterance is a no ("no", "no, it is fine"), with nothing after it: a
    "no wifi?" leads with "no" but is a complaint, not an answer."""
    return normalize(text) in DENY or _core(text) in DENY


def _leads(norm: str, phrases: set[str], max_rest: int) -> bool:
    """``norm`` starts with one of ``phrases`` followed by at most ``max_rest`` words
    ("yes please do it", "no thanks i'm fine"), not a new request."""
    return any(norm.startswith(p + " ") and len(norm[len(p):].split()) <= max_rest
               for p in phrases)


def _choice(norm: str) -> int:
    """"the second one", "number 2", "the first" -> 2, 2, 1; 0 when none."""
    m = re.search(r"\b(?:the )?(first|1st|second|2nd|third|3rd|last)(?: one| option)?\b", norm)
    if m and len(norm.split()) <= 5:
        return ORDINALS[m.group(1)]
    m = re.fullmatch(r"(?:number|option) (one|two|three|\d)", norm)
    if m:
        word = m.group(1)
        return int(word) if word.isdigit() else ORDINALS[word]
    return 0


def split_questions(text: str) -> list[str]:
    """The separate requests in ``text``: "where's the toilet and when is the last train"
    -> two parts. Parts of fewer than two words are folded back."""
    parts = [p.strip(" ,.!") for p in SPLIT.split(text.strip()) if p and p.strip(" ,.!")]
    out: list[str] = []
    for p in parts:
        if out and len(p.split()) < 2:
            out[-1] = f"{out[-1]} {p}"
        else:
            out.append(p)
    return out if len(out) > 1 else [text.strip()]
