"""The site's own words, to bias the recogniser towards them (``asr.bias``).

A site pack's station, line, exit and place names are exactly the words a general
recogniser gets wrong ("Northgate" as "North Gate", "Queen's Road" as "Queens Road").
:class:`SiteVocabulary` collects them once from the pack; each engine turns them into
what it understands: a short Whisper prompt (:meth:`SiteVocabulary.whisper_prompt`) or
a Vosk phrase grammar (:meth:`SiteVocabulary.vosk_grammar`).

Engines never import the site pack: the factory builds the vocabulary and passes it in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.sitepack.model import SitePack

BIAS_SLOT_TYPES = ("station", "line", "exit")
"""The slot types whose names bias the recogniser (places a visitor names)."""

PROMPT_MAX_TOKENS = 96
"""Whisper prompt budget. Whisper allows ~224 prompt tokens, but each one is decoder
context on every step (slower) and a long prompt is echoed back on unclear audio."""

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def split_name(name: str) -> list[str]:
    """``"Exit E (Queen's Road and Hotel Plaza)"`` -> its three names, outer first."""
    m = re.fullmatch(r"\s*(.*?)\s*\((.*)\)\s*", name)
    if not m:
        return [name.strip()] if name.strip() else []
    inner = [p.strip() for p in re.split(r",|\band\b", m.group(2)) if p.strip()]
    return [p for p in (m.group(1), *inner) if p]


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def words_of(text: str) -> list[str]:
    """Lower-case words (apostrophes kept: ``queen's``), as recogniser vocabularies hold them."""
    return _WORD.findall(text.lower().replace("’", "'"))


@dataclass(frozen=True)
class SiteVocabulary:
    """What the recogniser should expect at this site.

    ``names`` are the spelled names, most important first (this station, the other
    stations, the lines, the exits and the places they lead to); ``phrases`` the
    names and every synonym, lower case; ``words`` the other words of the site's
    example questions, so a closed grammar still hears a whole question.
    """

    names: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Language -> the pack's questions in it (its languages after the first): Whisper's
    prompt for an utterance in that language (:meth:`language_prompt`)."""

    def __bool__(self) -> bool:
        return bool(self.names or self.phrases)

    @classmethod
    def from_pack(cls, pack: SitePack,
                  slot_types: Iterable[str] = BIAS_SLOT_TYPES) -> SiteVocabulary:
        here = pack.slot_value("station", pack.manifest.station)
        names: list[str] = [here.name] if here else []
        phrases: list[str] = []
        for slot_type in slot_types:
            for value in pack.slots.get(slot_type, []):
                names.extend(split_name(value.name))
                phrases.extend(p.lower() for p in [*split_name(value.name), *value.synonyms])
        sentences = [e for i in pack.intents.values() for e in i.examples]
        sentences += [q for f in pack.faq for q in f.phrasings]
        words = _unique(w for s in sentences for w in words_of(s))
        questions = {lang: tuple(_unique(q for f in tr.faq.values() for q in f.questions[:1]))
                     for lang, tr in pack.translations.items()}
        return cls(tuple(_unique(names)), tuple(_unique(p.strip() for p in phrases)),
                   tuple(words), {k: v for k, v in questions.items() if v})

    def language_prompt(self, language: str, *, max_tokens: int = 128,
                        count_tokens: Callable[[str], int] | None = None) -> str:
        """Whisper's prompt for an utterance in ``language``: the pack's questions in it
        as transcript-like sentences, cut to ``max_tokens`` (empty: none).

        The English glossary of names leaves Whisper guessing at another language's
        words; questions in that language show it the words visitors use (espeak-ng
        round trip, es: WER 0.72 -> 0.46, "baños" heard right).
        """
        sentences = [q[:1].upper() + q[1:].rstrip("?.!") + "."
                     for q in self.questions.get(language, ())]
        out: list[str] = []
        for sentence in sentences:
            line = " ".join([*out, sentence])
            cost = count_tokens(line) if count_tokens else len(line.split())
            if cost > max_tokens:
                break
            out.append(sentence)
        return " ".join(out)

    def hotwords(self, *, max_tokens: int = PROMPT_MAX_TOKENS,
                 count_tokens: Callable[[str], int] | None = None) -> str:
        """The names as one comma-separated line, cut to ``max_tokens``."""
        return _fit(list(self.names), max_tokens, count_tokens)

    def whisper_prompt(self, *, max_tokens: int = PROMPT_MAX_TOKENS,
                       count_tokens: Callable[[str], int] | None = None,
                       rare_first: bool = True) -> str:
        """A short glossary line naming the site's places (Whisper's ``initial_prompt``).

        Whisper continues the style of its prompt, so it is written as transcript-like
        text: capitalised names, ends with a full stop. With a token counter and
        ``rare_first``, the names the model's vocabulary splits into pieces
        ("Northgate" = North+gate, "Queen's") go first: those it spells wrong
        unaided, while "Central Park" or "Exit A" it gets right anyway.
        """
        names = list(self.names)
        if count_tokens and rare_first:
            def rare(name: str) -> bool:
                return any(count_tokens(w) > 1 for w in name.split())

            names = [n for n in names if rare(n)] + [n for n in names if not rare(n)]
        line = _fit(names, max_tokens - 1, count_tokens)
        return f"{line}." if line else ""

    def vosk_grammar(self, known: Callable[[str], bool] | None = None) -> list[str]:
        """A Vosk phrase list: the names and synonyms, the site's other words, ``[unk]``.

        ``known(word)`` says whether the model's vocabulary has a word (Kaldi drops
        phrases with unknown words, and a grammar of nothing but ``[unk]`` would
        silence the recogniser); phrases with an unknown word are left out. Returns
        ``[]`` when no name is known to the model: then it decodes without a grammar.
        """
        def ok(phrase: str) -> bool:
            ws = words_of(phrase)
            return bool(ws) and (known is None or all(known(w) for w in ws))

        names = [" ".join(words_of(p)) for p in self.phrases if ok(p)]
        if not names:
            return []
        words = [w for w in self.words if ok(w)]
        return [*_unique([*names, *words]), "[unk]"]


def _fit(names: list[str], max_tokens: int,
         count_tokens: Callable[[str], int] | None) -> str:
    """As many leading ``names`` as fit in ``max_tokens`` (4 characters a token if no counter)."""
    count = count_tokens or (lambda s: (len(s) + 3) // 4)
    kept: list[str] = []
    for name in names:
        if count(", ".join([*kept, name])) > max_tokens:
            break
        kept.append(name)
    return ", ".join(kept)
