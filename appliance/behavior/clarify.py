"""Clarifying questions for a missing or unknown station, with a fuzzy "did you mean".

"How do I get to London?" is not a route to the airport: the kiosk says it does not know a
stop called London and, when a station's name is close ("Northgat"), asks whether that
is the one; otherwise it says what the network covers. A route question with no
destination at all asks for one.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from appliance.behavior import lines
from appliance.engines.nlu.base import NluResult
from appliance.engines.nlu.text import normalize
from appliance.sitepack.model import SitePack

ASK_INTENTS = {"route_planning"}
"""Intents that ask for a destination when none is given."""
NAME_INTENTS = {"route_planning", "fare_inquiry", "next_train", "ticket_purchase"}
"""Intents whose unknown place names get the "I don't know a stop called ..." line."""
OFF_NETWORK_INTENTS = {"out_of_scope", "smalltalk"}
"""What the intent head calls a journey to a place it has never heard of ("¿cómo llego a
Londres?" reads as small talk to it)."""
DID_YOU_MEAN = 78.0
"""Least rapidfuzz WRatio of an unknown name to a station's to offer it."""
_PLACE = re.compile(r"\b(?:get to|go to|going to|travel to|to|towards|reach|for)\s+"
                    r"(?:the\s+)?([a-z][a-z' -]{1,40}?)\s*(?:please|from here|station|stop|"
                    r"by metro|by train|today|tonight|now|$)")
_ROUTE = re.compile(r"\b(?:how (?:do|can|would) i get to|get me to|take me to|way to|"
                    r"train to|metro to|go to|going to|travel to|ticket to|fare to)\b")
# Spanish (a pack's second language): "¿cómo llego a Londres?", "quiero ir a Narnia"
_PLACE_ES = re.compile(r"\b(?:llego a|llegar a|ir a|voy a|vamos a|hacia|hasta|billete a|"
                       r"billete para|tren a|metro a|tren para|metro para)\s+"
                       r"(?:la\s+|el\s+|los\s+|las\s+)?(?:estación\s+de\s+)?"
                       r"([a-zñáéíóúü][a-zñáéíóúü' -]{1,40}?)\s*(?:por favor|desde aquí|"
                       r"estación|parada|en metro|en tren|hoy|esta noche|ahora|$)")
_ROUTE_ES = re.compile(r"\b(?:cómo (?:llego|puedo llegar|voy|se llega) a|llévame a|"
                       r"camino a|tren a|metro a|tren para|metro para|ir a|voy a|"
                       r"billete a|billete para|llegar a)\b")
_GENERIC_ES = {"casa", "mi casa", "trabajo", "aquí", "allí", "ahí", "estación", "metro",
               "tren", "baño", "baños", "aseo", "aseos", "ascensor", "andén", "salida",
               "un billete", "billete", "comprar", "pagar", "un sitio", "algún sitio", "centro",
               "ciudad", "la ciudad", "otra", "otro", "ver"}
_GENERIC = {"there", "here", "it", "get", "go", "town", "city", "somewhere", "home", "work",
            "the station", "station", "metro", "train", "trains", "a ticket", "ticket", "buy",
            "know", "be", "do", "pay", "find", "me", "us", "use", "my", "see", "a", "an", "an exit",
            "the exit", "exit", "toilet", "the toilet", "loo", "the loo", "lift", "the lift",
            "platform", "the platform", "work out", "change", "top up", "ask",
            # after "for", what a ticket or fare question is for, not where to
            "free", "nothing", "less", "kids", "children", "child", "students", "student",
            "seniors", "pensioners", "adults", "adult", "families", "family", "today",
            "tomorrow", "tonight", "the day", "the week", "the weekend", "a week", "a month",
            "a year", "you", "him", "her", "them", "help", "cash", "card", "money", "refund",
            "sure", "how long", "long", "one", "two", "both", "all", "everyone", "everybody",
            "someone", "somebody", "anyone", "people", "visitors", "tourists"}

_ANY_GENERIC = _GENERIC | _GENERIC_ES

class Clarifier:
    """Decides when a request needs a question back, and reads the answer."""

    def __init__(self, pack: SitePack) -> None:
        self.pack = pack
        self.names: list[tuple[str, str]] = []  # (form, station id)
        for value in pack.slots.get("station", []):
            for form in [value.name, *value.synonyms]:
                self.names.append((normalize(form), value.id))
        self.known_words = {w for form, _ in self.names for w in form.split()}
        for values in pack.slots.values():
            for value in values:
                for form in [value.name, *value.synonyms]:
                    self.known_words.update(normalize(form).split())

    @staticmethod
    def destination(text: str) -> str:
        """The place named after "to"/"for" ("which exit for Central Square?" -> "central
        square"), known or not; "" if none."""
        norm = normalize(text)
        m = _PLACE.search(norm) or _PLACE_ES.search(norm)
        return m.group(1).strip(" -'") if m is not None else ""

    def unknown_place(self, text: str) -> str:
        """A place named after "to"/"for" that is none of the pack's names ("" if none)."""
        phrase = self.destination(text)
        if not phrase or phrase in _ANY_GENERIC or phrase.split()[0] in _ANY_GENERIC:
            return ""
        if set(phrase.split()) & self.known_words:
            return ""
        return phrase

    def off_network(self, text: str, nlu: NluResult) -> bool:
        """"How do I get to London?": a journey to a place off the network, which the
        intent head calls out of scope; it gets the "I don't know a stop called" line."""
        norm = normalize(text)
        return nlu.intent in OFF_NETWORK_INTENTS and bool(self.unknown_place(text)) \
            and bool(_ROUTE.search(norm) or _ROUTE_ES.search(norm))

    def question(self, text: str, nlu: NluResult) -> tuple[str, list[str]] | None:
        """(the question, the station ids it offers), or None when nothing is missing;
        the question is in the visitor's language (``nlu.language``)."""
        lang = nlu.language
        if nlu.slots.get("station"):
            return None
        place = self.unknown_place(text)
        if nlu.intent not in NAME_INTENTS and not self.off_network(text, nlu):
            return None
        if place:
            shown = place.title()
            hit = process.extractOne(place, [f for f, _ in self.names], scorer=fuzz.WRatio,
                                     score_cutoff=DID_YOU_MEAN)
            if hit is not None:
                station = self.names[hit[2]][1]
                name = self.pack.slot_name("station", station)
                return (f"{lines.line(self.pack, lang, 'unknown_stop', place=shown)} "
                        f"{lines.line(self.pack, lang, 'did_you_mean', station=name)}", [station])
            return (f"{lines.line(self.pack, lang, 'unknown_stop', place=shown)} "
                    f"{self.network_line(lang)}", [])
        if nlu.intent in ASK_INTENTS and len(normalize(text).split()) <= 8:
            return (lines.line(self.pack, lang, "which_station"), [])
        return None

    def landmark_line(self, place: str, language: str = "en") -> str:
        """"I don't know which exit is best for the stadium", and the exits the site has."""
        exits = ", ".join(v.name for v in self.pack.slots.get("exit", []))
        return lines.line(self.pack, language, "unknown_landmark", place=place.title(),
                          exits=exits)

    def network_line(self, language: str = "en") -> str:
        """What the network covers, for a visitor whose place is not on it."""
        stations = self.pack.slots.get("station", [])
        metro_lines = self.pack.slots.get("line", [])
        examples = ", ".join(v.name for v in stations[:3])
        return lines.line(self.pack, language, "network", lines=len(metro_lines),
                          stations=len(stations), examples=examples)

    @staticmethod
    def chosen(text: str, nlu: NluResult, options: list[str]) -> str:
        """The station the visitor picked in answer to the question ("" if none)."""
        if nlu.slots.get("station"):
            return nlu.slots["station"]
        if options and "affirm" in nlu.acts:
            return options[0]
        for a in nlu.acts:
            if a.startswith("choice:"):
                n = int(a.split(":", 1)[1])
                if options and -len(options) <= (n - 1 if n > 0 else n) < len(options):
                    return options[n - 1 if n > 0 else n]
        return ""
