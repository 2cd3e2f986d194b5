"""The station-sign lexicon: keyframed poses of both hands and the face, per sign.

A lexicon file (``data/<language>.yaml``) names its sign language, says honestly what
its signs are (its ``notice``) and lists signs by gloss. Each sign has the words and
phrases it translates and one or more keyframes; a keyframe gives, for the dominant
hand (``d``) and optionally the other hand (``n``), ``[where, shape, angle, turn]`` and
optionally how the hand touches there (``palm``, ``tips`` or ``wrist``), plus how
long it is held (``dur``), a movement made while it is held (``move``) and a face
marker (``face``).

``where`` is a named place on the body (:data:`LOCATIONS`, optionally ``name@dx/dy``)
or ``[x, y]``; all positions are in the avatar's body units (head centre (0, 0), y
down, head ~380 wide) in the *signing frame*, where +x is the dominant hand's own side.
The renderer mirrors the frame for the side the dominant hand is drawn on. Angles:
0 toward the dominant side, 180 toward the other, -90 up; turns: 0 palm toward the
viewer, 90 palm toward the centre line (palm down for fingers pointing across), 180
back of the hand toward the viewer. Loading resolves every place to a wrist position.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from appliance.sign import handshape
from appliance.sign.handgeom import contact_offset

logger = logging.getLogger(__name__)

LOCATIONS: dict[str, tuple[float, float]] = {
    "forehead": (30.0, -130.0), "temple": (165.0, -70.0), "eye": (70.0, -5.0),
    "nose": (10.0, 60.0), "cheek": (130.0, 90.0), "ear": (195.0, 20.0),
    "mouth": (10.0, 135.0), "chin": (10.0, 225.0), "neck": (10.0, 300.0),
    "shoulder": (220.0, 390.0), "shoulder_n": (-220.0, 390.0),
    "chest": (0.0, 470.0), "chest_d": (110.0, 470.0), "chest_n": (-110.0, 470.0),
    "stomach": (0.0, 640.0), "neutral": (90.0, 560.0), "centre": (0.0, 560.0),
    "high": (130.0, 300.0), "side": (260.0, 520.0), "low": (80.0, 720.0),
    "spell": (205.0, 320.0),
}
"""Named contact places in the signing frame (body units)."""

MOVES = frozenset({"", "shake", "twist", "tap", "circle", "wiggle", "j", "z", "bounce",
                   "flick", "nod"})
"""Movements made while a keyframe is held (see :mod:`appliance.sign.timeline`)."""
FACES = frozenset({"", "brows_up", "brows_down", "headshake", "nod", "puff"})
"""Non-manual markers: question brows, negation headshake, affirming nod, puffed cheeks."""


@dataclass(frozen=True)
class HandKey:
    """One hand at one keyframe (signing frame)."""

    wrist: tuple[float, float]
    angle_deg: float
    turn_deg: float
    shape: str


@dataclass(frozen=True)
class Keyframe:
    """Both hands and the face, held for ``dur`` seconds."""

    dom: HandKey
    non: HandKey | None
    """None: the other hand rests."""
    dur: float
    move: str = ""
    face: str = ""


@dataclass(frozen=True)
class Sign:
    """One lexicon entry."""

    gloss: str
    language: str
    words: tuple[str, ...]
    keys: tuple[Keyframe, ...]
    note: str = ""

    @property
    def duration(self) -> float:
        return sum(k.dur for k in self.keys)


@dataclass(frozen=True)
class Lexicon:
    """All signs of one sign language, with a word/phrase index."""

    language: str
    notice: str
    signs: dict[str, Sign]
    index: dict[str, str]
    """Lower-case word or phrase -> gloss."""
    max_words: int
    """Longest phrase in the index, in words."""

    def lookup(self, phrase: str) -> Sign | None:
        """The sign for a lower-case word or phrase, or None."""
        gloss = self.index.get(phrase)
        return self.signs[gloss] if gloss is not None else None


_PLACE_RE = re.compile(r"^([a-z_]+)(?:@(-?\d+(?:\.\d+)?)/(-?\d+(?:\.\d+)?))?$")


def place(where: Any) -> tuple[float, float]:
    """``chin``, ``chin@10/-20`` or ``[x, y]`` -> a point in the signing frame."""
    if isinstance(where, list | tuple) and len(where) == 2:
        return float(where[0]), float(where[1])
    m = _PLACE_RE.match(str(where))
    if m is None or m.group(1) not in LOCATIONS:
        raise ValueError(f"unknown place {where!r}; one of {', '.join(LOCATIONS)} "
                         "(optionally @dx/dy) or [x, y]")
    x, y = LOCATIONS[m.group(1)]
    if m.group(2) is not None:
        x, y = x + float(m.group(2)), y + float(m.group(3))
    return x, y


def hand_key(spec: Any) -> HandKey:
    """``[where, shape, angle, turn(, by)]`` -> a :class:`HandKey` with its wrist."""
    if not isinstance(spec, list) or len(spec) not in (4, 5):
        raise ValueError(f"a hand is [where, shape, angle, turn(, by)], got {spec!r}")
    where, shape_name, angle, turn = spec[:4]
    by = spec[4] if len(spec) == 5 else "palm"
    handshape.get(str(shape_name))
    x, y = place(where)
    off = contact_offset(str(by))
    a = math.radians(float(angle))
    return HandKey((x - off * math.cos(a), y - off * math.sin(a)), float(angle), float(turn),
                   str(shape_name))


def _keyframe(raw: dict[str, Any], gloss: str) -> Keyframe:
    unknown = set(raw) - {"d", "n", "dur", "move", "face"}
    if unknown:
        raise ValueError(f"{gloss}: unknown keyframe fields {sorted(unknown)}")
    move, face = str(raw.get("move", "")), str(raw.get("face", ""))
    if move not in MOVES:
        raise ValueError(f"{gloss}: unknown move {move!r}")
    if face not in FACES:
        raise ValueError(f"{gloss}: unknown face marker {face!r}")
    non = hand_key(raw["n"]) if raw.get("n") is not None else None
    return Keyframe(hand_key(raw["d"]), non, float(raw.get("dur", 0.4)), move, face)


def parse(doc: dict[str, Any]) -> Lexicon:
    """A lexicon from a loaded YAML document (raises ValueError on any bad entry)."""
    language = str(doc.get("language", "")).lower()
    notice = str(doc.get("notice", "")).strip()
    if not language or not notice:
        raise ValueError("a lexicon names its language and carries a notice of its limits")
    signs: dict[str, Sign] = {}
    index: dict[str, str] = {}
    for gloss, raw in (doc.get("signs") or {}).items():
        # YAML 1.1 reads an unquoted YES, NO, ON or OFF as a boolean: quote them
        if not isinstance(gloss, str) or not all(isinstance(w, str) for w in raw.get("words", ())):
            raise ValueError(f"lexicon {language}: gloss {gloss!r} or one of its words is not "
                             "text (quote 'YES', 'NO', 'ON', 'OFF')")
        try:
            keys = tuple(_keyframe(k, gloss) for k in raw["keys"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"lexicon {language}: sign {gloss}: {e}") from e
        words = tuple(str(w).lower() for w in raw.get("words", ()))
        signs[gloss] = Sign(gloss, str(raw.get("lang", language)), words, keys,
                            str(raw.get("note", "")))
        for w in (*words, gloss.lower().replace("-", " ")):
            if w in index and index[w] != gloss:
                logger.debug("lexicon %s: %r is both %s and %s; keeping %s", language, w,
                             index[w], gloss, index[w])
                continue
            index[w] = gloss
    max_words = max((len(w.split()) for w in index), default=1)
    return Lexicon(language, notice, signs, index, max_words)


@functools.cache
def load(language: str = "asl") -> Lexicon:
    """The packaged lexicon of ``language`` (``asl``), loaded once."""
    name = f"{language.lower()}.yaml"
    res = resources.files("appliance.sign").joinpath("data").joinpath(name)
    if not res.is_file():
        raise FileNotFoundError(f"no sign lexicon for {language!r} (appliance/sign/data/{name})")
    with res.open("r", encoding="utf-8") as f:
        return parse(yaml.safe_load(f))
