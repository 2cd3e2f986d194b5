"""Fingerspelling (ASL manual alphabet) and number signs as timed keyframes.

Letters are made by the dominant hand beside the chin (:data:`SPELL_PLACE`), palm to
the viewer, ~0.3 s each: a short hold (:data:`LETTER_HOLD_S`) plus the move to the next
letter (:data:`LETTER_MOVE_S`, the track's transition inside one word). G, H point
across, P and Q down, C and O are seen from the side, J and Z trace their path. A
doubled letter (the two Ls of "Hill") slides a little sideways, as signers do.

Numbers 0-10 have their own signs (1-5 palm in, 6-9 palm out, 10 a shaken thumb);
larger numbers are signed digit by digit. That is how ASL signs most numbers above
20 (and times and platform numbers), but it simplifies 11-19, which have their own
signs in ASL. Digits and letters outside the alphabet are skipped with a log line.
"""

from __future__ import annotations

import logging
import math
import unicodedata

from appliance.sign.handgeom import contact_offset
from appliance.sign.lexicon import LOCATIONS, HandKey, Keyframe

logger = logging.getLogger(__name__)

LETTER_HOLD_S = 0.22
"""How long each letter is held."""
LETTER_MOVE_S = 0.09
"""The move from one letter to the next (so a letter takes ~0.31 s)."""
NUMBER_HOLD_S = 0.34
SPELL_PLACE = LOCATIONS["spell"]
DOUBLE_SLIDE = 28.0
"""How far (body units) a doubled letter slides toward the dominant side."""

# letter -> (finger direction, palm turn, movement); default: up, palm to the viewer
_POSE: dict[str, tuple[float, float, str]] = {
    "c": (-95.0, 90.0, ""), "o": (-95.0, 90.0, ""), "e": (-90.0, 0.0, ""),
    "g": (180.0, 180.0, ""), "h": (180.0, 180.0, ""),
    "p": (115.0, 90.0, ""), "q": (100.0, 90.0, ""),
    "j": (-90.0, 0.0, "j"), "z": (-90.0, 0.0, "z"),
    "x": (-90.0, 90.0, ""), "k": (-90.0, 0.0, ""),
}
_DEFAULT = (-92.0, 0.0, "")
_NUMBER_TURN = {0: 90.0, 1: 180.0, 2: 180.0, 3: 180.0, 4: 180.0, 5: 180.0}


def letter_pose(letter: str) -> tuple[float, float, str]:
    """How ``letter`` is held: finger direction (degrees, -90 up), palm turn, movement."""
    return _POSE.get(letter, _DEFAULT)


def _key(shape: str, angle: float, turn: float, dur: float, move: str = "",
         dx: float = 0.0) -> Keyframe:
    off = contact_offset("palm")
    a = math.radians(angle)
    x, y = SPELL_PLACE
    wrist = (x + dx - off * math.cos(a), y - off * math.sin(a))
    return Keyframe(HandKey(wrist, angle, turn, shape), None, dur, move)


def letters_of(word: str) -> str:
    """The spellable letters of ``word`` (accents dropped, lower case)."""
    plain = unicodedata.normalize("NFKD", word)
    return "".join(c for c in plain.lower() if "a" <= c <= "z")


def spell(word: str) -> tuple[Keyframe, ...]:
    """Keyframes that fingerspell ``word`` (letters only; anything else is skipped)."""
    letters = letters_of(word)
    if len(letters) != len(word) and word.strip():
        logger.debug("fingerspelling %r as %r", word, letters)
    keys: list[Keyframe] = []
    prev = ""
    for c in letters:
        angle, turn, move = _POSE.get(c, _DEFAULT)
        dx = DOUBLE_SLIDE if c == prev else 0.0
        hold = LETTER_HOLD_S + (0.12 if move else 0.0)  # J and Z need time for their path
        keys.append(_key(c, angle, turn, hold, move, dx))
        prev = c if c != prev else ""
    return tuple(keys)


def digits_of(n: int) -> list[int]:
    """The number signs that make up ``n`` (0-10 whole, larger digit by digit)."""
    if n < 0:
        raise ValueError(f"no sign for a negative number ({n})")
    if n <= 10:
        return [n]
    return [int(c) for c in str(n)]


def number(n: int) -> tuple[Keyframe, ...]:
    """Keyframes that sign the number ``n``."""
    keys: list[Keyframe] = []
    prev = -1
    for digit in digits_of(n):
        turn = _NUMBER_TURN.get(digit, 0.0)
        move = "twist" if digit == 10 else ""
        dx = DOUBLE_SLIDE if digit == prev else 0.0
        keys.append(_key(f"n{digit}", -92.0, turn, NUMBER_HOLD_S + (0.2 if move else 0.0),
                         move, dx))
        prev = digit if digit != prev else -1
    return tuple(keys)
