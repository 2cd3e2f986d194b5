"""The viseme set: the 15 Oculus (Meta) visemes, and how IPA phonemes map onto them.

========  =====================  ========  =====================
viseme    sounds                 viseme    sounds
========  =====================  ========  =====================
``sil``   silence, pauses        ``nn``    n, l
``PP``    p, b, m                ``RR``    r (ɹ)
``FF``    f, v                   ``aa``    a, ɑ, æ, ʌ
``TH``    θ, ð                   ``E``     e, ɛ, ə, ɚ, ɜ
``DD``    t, d, ɾ                ``I``     i, ɪ, j
``kk``    k, g, ŋ                ``O``     o, ɔ, ɒ
``CH``    ʃ, ʒ, tʃ, dʒ           ``U``     u, ʊ, w
``SS``    s, z
========  =====================  ========  =====================

``h`` and stress marks take the shape of the sound that follows; length marks
and word gaps extend the one before.
"""

from __future__ import annotations

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR",
           "aa", "E", "I", "O", "U")

OPEN_VISEMES = frozenset({"aa", "E", "I", "O", "U"})
CLOSED_VISEMES = frozenset({"sil", "PP"})

_MAP: dict[str, str] = {}
for _viseme, _sounds in {
    "PP": "p b m",
    "FF": "f v",
    "TH": "θ ð",
    "DD": "t d ɾ",
    "kk": "k g ɡ ŋ x",
    "CH": "ʃ ʒ ʧ ʤ ç",
    "SS": "s z",
    "nn": "n l ɫ ɲ",
    "RR": "ɹ r ɻ ʁ",
    "aa": "a ɑ æ ʌ ɐ ᵻ",
    "E": "e ɛ ə ɚ ɜ ɝ",
    "I": "i ɪ j y",
    "O": "o ɔ ɒ ø œ",
    "U": "u ʊ w ɯ",
}.items():
    for _s in _sounds.split():
        _MAP[_s] = _viseme

SILENCE = frozenset("^$_.,;:!?—-…\"'()")
NEXT = frozenset("ˈˌh")  # take the shape of what follows
PREVIOUS = frozenset("ː ")  # extend what came before


def viseme_for(phoneme: str) -> str | None:
    """The viseme of one IPA phoneme; ``None`` for marks that borrow a neighbour."""
    if phoneme in NEXT or phoneme in PREVIOUS:
        return None
    if phoneme in SILENCE or not phoneme.strip():
        return "sil"
    return _MAP.get(phoneme[0], "E")  # an unknown vowel-ish sound: half open
