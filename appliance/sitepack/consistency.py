"""Facts a site pack states twice: the FAQ against the network, and against itself.

The kiosk answers route, fare and train-time questions from ``network.yaml`` (through
:mod:`appliance.sitepack.network`) and everything else from ``faq.yaml``. When an FAQ
answer states a number the network also knows - a journey's stops or minutes, a fare, a
pass price, the card discount, a station's zone, a line's headway, first or last train -
the two must agree, or the kiosk gives two answers to one question. Each disagreement is
a *warning* at the FAQ answer's ``file:line`` naming the network value and its line (the
pack still loads). Facts the network does not hold (a pass price it leaves out) are
compared between FAQ answers instead.

A translation's FAQ answers (``lang/<code>.yaml``) are read for fares and pass prices
too, in that language's words where :data:`READINGS` has them ("2 libras con 20", "el
bono diario", "dentro de la zona 1"), each warning at the translation's line.

Reading is deliberately narrow: a claim is only taken where the sentence says clearly
what it is about (a named station, a named line, "day pass", "within zone 1", "first
train"), so a warning is worth reading. Weekend and holiday times are not checked (the
network holds one timetable).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from appliance.sitepack import network as net
from appliance.sitepack.model import SitePack
from appliance.sitepack.reader import FileReader

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_NUM = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
CURRENCY_WORDS = {"GBP": ("£", "pounds?"), "EUR": ("€", "euros?"), "USD": ("$", "dollars?")}

STOPS = re.compile(rf"\b{_NUM}\s+stops?\b", re.I)
MINUTES = re.compile(r"\b(?:about|around|roughly|approximately|only|just|takes?|it's|it is)\s+"
                     r"(\d+)\s+min(?:ute)?s?\b|\b(\d+)\s+min(?:ute)?s?\s+(?:away|journey|ride|"
                     r"trip)\b", re.I)
TOWARDS = re.compile(r"\btowards\s+$", re.I)
FROM = re.compile(r"\bfrom\s+$", re.I)
FARE_WORDS = re.compile(r"\b(?:single|fares?|return)\b", re.I)
NOT_A_FARE = re.compile(r"\b(?:fee|deposit|penalty|fine|refund|compensation|top up|balance)\b",
                        re.I)
ZONE_FARE = re.compile(rf"\b(?:within|in)\s+zone\s+\d+\b|\b(?:across|through|over)\s+{_NUM}"
                       r"\s+zones\b", re.I)
IN_ZONE = re.compile(r"^\s+(?:station\s+)?is\s+in\s+zone\s+(\d+)\b", re.I)
PERCENT = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:percent|per cent|%)\s+(?:cheaper|less|off)\b",
                     re.I)
EVERY = re.compile(r"\bevery\s+(\d+)\b", re.I)
FIRST_LAST = re.compile(r"\b(first|last)\s+trains?\b", re.I)
CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
APPROX = re.compile(r"\b(?:about|around|approximately|roughly)\s+$", re.I)
OTHER_DAYS = re.compile(r"\b(?:sundays?|saturdays?|fridays?|weekends?|holidays?)\b", re.I)
SENTENCE = re.compile(r"(?<=[.!?;])\s+")

ES_NUMBER_WORDS = {"un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
                   "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11,
                   "doce": 12}
_ES_NUM = r"(\d+|" + "|".join(ES_NUMBER_WORDS) + r")"


@dataclass(frozen=True)
class Reading:
    """How FAQ answers in one language say a fare: the words that make a sentence about
    one (single, fare, return), about something else with a price (a fee, a refund), a
    fare within a zone or across zones, and the number words."""

    fare_words: re.Pattern[str]
    not_a_fare: re.Pattern[str]
    zone_fare: re.Pattern[str]
    numbers: dict[str, int]


READINGS = {
    "en": Reading(FARE_WORDS, NOT_A_FARE, ZONE_FARE, NUMBER_WORDS),
    "es": Reading(
        re.compile(r"\b(?:sencillos?|tarifas?|ida\s+y\s+vuelta)\b", re.I),
        re.compile(r"\b(?:comisi[oó]n|fianza|dep[oó]sito|penalizaci[oó]n|multa|reembolsos?|"
                   r"devoluci[oó]n|compensaci[oó]n|recargas?|recargar|saldo)\b", re.I),
        re.compile(r"\b(?:dentro\s+de|en)\s+(?:la\s+)?zona\s+\d+\b|\b(?:por|entre|a\s+trav[eé]s"
                   rf"\s+de)\s+{_ES_NUM}\s+zonas\b", re.I),
        ES_NUMBER_WORDS),
}
"""Language -> how its FAQ answers say fares. A translation in a language without one is
not read for fares."""


def money_pattern(currency: str, language: str = "en") -> re.Pattern[str]:
    """Spoken or written money in ``language``, groups (whole, cents) per alternative:
    "2 pounds 90", "£2.90"; Spanish as :func:`network.money` says it, "2 libras con 90",
    "1 libra con 5" (5 pence)."""
    symbol, word = CURRENCY_WORDS.get(currency, ("", re.escape(currency.lower())))
    if language == "es":
        words = net.MONEY_WORDS["es"].get(currency)
        either = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) \
            if words else re.escape(currency.lower())
        money = [rf"\b(\d+)\s+(?:{either})(?:\s+con\s+(\d{{1,2}})\b)?"]
    else:
        money = [rf"\b(\d+)\s+{word}(?:\s+(\d{{2}})\b)?"]
    if symbol:
        money.append(rf"{re.escape(symbol)}\s?(\d+)(?:\.(\d{{2}}))?\b")
    return re.compile("|".join(money), re.I)


@dataclass
class Mention:
    kind: str  # "station", "line" or "ticket_type"
    id: str
    start: int
    end: int


def check_consistency(pack: SitePack, faq: FileReader, network: FileReader,
                      translated: dict[str, FileReader] | None = None) -> None:
    """Warn (through ``faq``) about every FAQ fact that contradicts the network or another
    FAQ answer. ``faq`` and ``network`` are the readers the pack was loaded from;
    ``translated``: language -> the reader of its ``lang/<code>.yaml``, whose FAQ answers
    are read for fares (warned through it)."""
    Checker(pack, faq, network).run(translated or {})


class Checker:
    def __init__(self, pack: SitePack, faq: FileReader, network: FileReader) -> None:
        self.pack, self.faq_f, self.net_f = pack, faq, network
        self.here = pack.manifest.station
        self.unsure: dict[tuple[str, ...], tuple[float, str, int, str]] = {}
        self.answers_f = faq
        """The file of the answers being read (the FAQ's, or a translation's)."""
        self.in_translation = False
        """The answers read are a translation's (``faq: {<id>: {answer}}``)."""
        self.read = READINGS["en"]
        phrases: dict[str, tuple[str, str]] = {}
        for kind in ("station", "line", "ticket_type"):
            for v in pack.slots.get(kind, []):
                names = [v.name, *v.name.replace(")", "").split(" ("), v.id.replace("_", " ")]
                # one-word synonyms ("red", "union", "museum") are too loose in prose
                names += [s for s in v.synonyms if " " in s.strip()]
                for tr in pack.translations.values():  # "bono diario", "línea roja"
                    said = tr.slots.get(kind, {}).get(v.id)
                    if said is not None:
                        names += [*said.name.replace(")", "").split(" (")] if said.name else []
                        names += [s for s in said.synonyms if " " in s.strip()]
                for n in names:
                    key = " ".join(n.lower().replace("-", " ").split())
                    if len(key) > 2:
                        phrases.setdefault(key, (kind, v.id))
        self.phrases = phrases
        alternation = "|".join(re.escape(p).replace(r"\ ", r"\s+")
                               for p in sorted(phrases, key=len, reverse=True))
        self.names = re.compile(rf"\b(?:{alternation})\b", re.I) if phrases else None
        self.money = money_pattern(pack.manifest.currency)

    # --- reading -------------------------------------------------------------------

    def mentions(self, text: str) -> list[Mention]:
        if self.names is None:
            return []
        masked = text.replace("-", " ")
        if self.pack.manifest.operator:  # "Harbour City Metro" is no mention of "the harbour"
            masked = re.sub(re.escape(self.pack.manifest.operator),
                            lambda m: " " * len(m.group()), masked, flags=re.I)
        out = []
        for m in self.names.finditer(masked):
            kind, vid = self.phrases[" ".join(m.group().lower().split())]
            out.append(Mention(kind, vid, m.start(), m.end()))
        return out

    def amounts(self, text: str) -> Iterator[tuple[float, str]]:
        for m in self.money.finditer(text):
            groups = [g for g in m.groups()]
            whole, cents = next(((groups[i], groups[i + 1]) for i in range(0, len(groups), 2)
                                 if groups[i] is not None), (None, None))
            if whole is not None:
                yield int(whole) + int(cents or 0) / 100, m.group().strip()

    def name(self, kind: str, vid: str) -> str:
        return self.pack.slot_name(kind, vid)

    # --- reporting -----------------------------------------------------------------

    def net_line(self, *path: object) -> str:
        return f"{self.net_f.rel}:{self.net_f.line(*path)}"

    def answer_path(self, i: int) -> tuple[Any, ...]:
        """Where FAQ entry ``i``'s answer is in the file being read."""
        return ("faq", self.pack.faq[i].id if self.in_translation else i, "answer")

    def warn(self, i: int, said: str, about: str, truth: str) -> None:
        entry = self.pack.faq[i]
        about = f" {about}" if about else ""
        self.answers_f.warn(self.answer_path(i), f"FAQ '{entry.id}' says '{said}'{about}, "
                            f"but {truth}")

    def claim(self, i: int, key: tuple[str, ...], value: float, said: str, about: str) -> None:
        """A fact the network cannot judge: it must match what other answers say."""
        here = f"{self.answers_f.rel}:{self.answers_f.line(*self.answer_path(i))}"
        first = self.unsure.setdefault(key, (value, said, i, here))
        if abs(first[0] - value) > 0.005 and first[3] != here:
            other = self.pack.faq[first[2]]
            self.warn(i, said, about, f"FAQ '{other.id}' ({first[3]}) says '{first[1]}'")

    # --- checks --------------------------------------------------------------------

    def run(self, translated: dict[str, FileReader] | None = None) -> None:
        self.read_first()
        for lang, reader in (translated or {}).items():
            tr = self.pack.translations.get(lang)
            reading = READINGS.get(lang.replace("_", "-").split("-")[0].lower())
            if tr is not None and reading is not None:
                self.read_translation(reader, lang, reading, tr.faq)

    def read_translation(self, reader: FileReader, lang: str, reading: Reading,
                         faq: dict[str, Any]) -> None:
        """A translation's FAQ answers, for fares and pass prices, in its words."""
        self.answers_f, self.in_translation, self.read = reader, True, reading
        self.money = money_pattern(self.pack.manifest.currency, lang)
        for i, entry in enumerate(self.pack.faq):
            said = faq.get(entry.id)
            if said is None or not said.answer:
                continue
            dest = self.destination(entry.question, said.answer)
            for s in (s for s in SENTENCE.split(said.answer) if s.strip()):
                self.fares(i, s, dest)

    def read_first(self) -> None:
        for i, entry in enumerate(self.pack.faq):
            sentences = [s for s in SENTENCE.split(entry.answer) if s.strip()]
            dest = self.destination(entry.question, entry.answer)
            if dest is not None:
                self.journey(i, entry.answer, dest)
            for s in sentences:
                self.fares(i, s, dest)
                self.percent(i, s)
                self.zones(i, s)
                self.headways(i, s)
                self.first_last(i, s)

    def destination(self, question: str, answer: str) -> str | None:
        """The one station (other than this one) an entry is about, if there is one."""
        asked = {m.id for m in self.mentions(question) if m.kind == "station"} - {self.here}
        if len(asked) == 1:
            return asked.pop()
        if asked:
            return None
        named = {m.id for m in self.mentions(answer) if m.kind == "station"
                 and not TOWARDS.search(answer[:m.start])} - {self.here}
        return named.pop() if len(named) == 1 else None

    def journey(self, i: int, text: str, dest: str) -> None:
        origin = self.here
        for m in self.mentions(text):
            if m.kind == "station" and m.id != dest and FROM.search(text[:m.start]):
                origin = m.id
        route = net.plan_route(self.pack, origin, dest)
        if route is None or not route.legs:
            return
        about = f"from {self.name('station', origin)} to {self.name('station', dest)}"
        legs = route.legs
        first = next(k for k, ln in enumerate(self.pack.network.lines) if ln.id == legs[0].line)
        for hit in STOPS.finditer(text):
            said = _number(hit.group(1))
            if said != route.stops:
                self.warn(i, hit.group(), about, f"the network gives {route.stops} stops "
                          f"({self.net_line('lines', first, 'stations')})")
        minutes = round(route.minutes)
        for hit in MINUTES.finditer(text):
            said = int(hit.group(1) or hit.group(2))
            if abs(said - route.minutes) > max(1.0, 0.1 * route.minutes):
                self.warn(i, hit.group(), about, f"the network gives about {minutes} minutes "
                          f"({route.stops} stops at {self.pack.network.minutes_per_stop:g} "
                          f"minutes, {self.net_line('minutes_per_stop')})")
        lines = {leg.line for leg in legs}
        towards = {leg.towards for leg in legs}
        for m in self.mentions(text):
            if m.kind == "line" and m.id not in lines:
                self.warn(i, text[m.start:m.end], about, "the network's route takes "
                          + " then ".join(self.name("line", leg.line) for leg in legs)
                          + f" ({self.net_line('lines')})")
            elif (m.kind == "station" and TOWARDS.search(text[:m.start])
                  and m.id not in towards):
                self.warn(i, f"towards {text[m.start:m.end]}", about, "the network's route "
                          "goes towards " + " then ".join(self.name("station", leg.towards)
                                                          for leg in legs)
                          + f" ({self.net_line('lines')})")

    def fares(self, i: int, s: str, dest: str | None) -> None:
        amounts = list(self.amounts(s))
        if not amounts or self.read.not_a_fare.search(s):
            return
        fares = self.pack.network.fares
        mentions = self.mentions(s)
        passes = {m.id for m in mentions if m.kind == "ticket_type"} & {"day_pass", "week_pass"}
        cur = self.pack.manifest.currency
        if len(passes) == 1:
            ticket = passes.pop()
            price = fares.day_pass if ticket == "day_pass" else fares.week_pass
            about = f"for a {self.name('ticket_type', ticket)}"
            for value, said in amounts:
                if not price:
                    self.claim(i, ("price", ticket), value, said, about)
                elif abs(value - price) > 0.005:
                    self.warn(i, said, about, f"the network gives {net.money(price, cur)} "
                              f"({self.net_line('fares', ticket)})")
            return
        if passes or not self.read.fare_words.search(s):
            return
        zone = self.read.zone_fare.search(s)
        if zone is not None:
            span = 1 if zone.group(1) is None else _number(zone.group(1), self.read.numbers)
            single = fares.single_by_zones.get(span)
            about = f"for a single {zone.group().strip()}"
        else:
            stations = [m for m in mentions if m.kind == "station"]
            to = {m.id for m in stations} - {self.here}
            if len(to) > 1 or (not to and dest is None):
                return
            target = to.pop() if to else dest
            origin = next((m.id for m in stations if m.id != target
                           and FROM.search(s[:m.start])), self.here)
            if target is None:
                return
            single = net.fare(self.pack, origin, target)
            about = (f"for a single from {self.name('station', origin)} to "
                     f"{self.name('station', target)}")
        if single is None:
            return
        allowed = {"single": single, "card": single * (1 - fares.card_discount),
                   "return": single * fares.return_multiplier,
                   "concession": single * fares.concession_multiplier}
        for value, said in amounts:
            if all(abs(value - v) > 0.005 for v in allowed.values()):
                self.warn(i, said, about, f"the network gives {net.money(single, cur)} "
                          f"({net.money(allowed['card'], cur)} with a card discount) "
                          f"({self.net_line('fares', 'single_by_zones')})")

    def percent(self, i: int, s: str) -> None:
        m = PERCENT.search(s)
        if m is None or "card" not in s.lower():
            return
        discount = self.pack.network.fares.card_discount * 100
        if abs(float(m.group(1)) - discount) > 0.01:
            self.warn(i, m.group(), "for the card discount", f"the network gives "
                      f"{discount:g} percent ({self.net_line('fares', 'card_discount')})")

    def zones(self, i: int, s: str) -> None:
        for m in self.mentions(s):
            if m.kind != "station":
                continue
            z = IN_ZONE.match(s.replace("-", " ")[m.end:])
            zone = self.pack.network.zones.get(m.id)
            if z is not None and zone is not None and int(z.group(1)) != zone:
                self.warn(i, f"{s[m.start:m.end]}{z.group()}", "", f"the network puts "
                          f"{self.name('station', m.id)} in zone {zone} "
                          f"({self.net_line('zones', zone)})")

    def headways(self, i: int, s: str) -> None:
        lines = [m for m in self.mentions(s) if m.kind == "line"]
        if not lines or OTHER_DAYS.search(s):
            return
        for e in EVERY.finditer(s):
            before = [m for m in lines if m.end <= e.start()]
            if not before:
                continue
            lid = before[-1].id
            info = self.pack.network.line(lid)
            if info is None:
                continue
            k = self.pack.network.lines.index(info)
            if int(e.group(1)) != info.headway_min:
                where = self.net_line("lines", k, "headway_min")
                self.warn(i, f"{s[before[-1].start:before[-1].end]} ... {e.group()}", "",
                          f"the network gives {self.name('line', lid)} a train every "
                          f"{info.headway_min:g} minutes ({where})")

    def first_last(self, i: int, s: str) -> None:
        if OTHER_DAYS.search(s):
            return
        mentions = self.mentions(s)
        named = [m.id for m in mentions if m.kind == "line"]
        if not named:
            stations = {m.id for m in mentions if m.kind == "station"} or {self.here}
            named = [ln.id for ln in self.pack.network.lines
                     if stations & set(ln.stations)]
        infos = [ln for ln in self.pack.network.lines if ln.id in named]
        if not infos:
            return
        for clause in re.split(r",", s):
            hits = list(FIRST_LAST.finditer(clause))
            for n, h in enumerate(hits):
                end = hits[n + 1].start() if n + 1 < len(hits) else len(clause)
                which = h.group(1).lower()
                key = "first_train" if which == "first" else "last_train"
                times = [_minutes(getattr(ln, key)) for ln in infos]
                low, high = min(times), max(times)
                for t in CLOCK.finditer(clause, h.end(), end):
                    said = _minutes(t.group())
                    slack = 10 if APPROX.search(clause[h.end():t.start()]) else 0
                    if said < low - slack or said > high + slack:
                        k = self.pack.network.lines.index(infos[0])
                        span = (_clock(low) if low == high
                                else f"between {_clock(low)} and {_clock(high)}")
                        names = ", ".join(self.name("line", ln.id) for ln in infos)
                        self.warn(i, f"{h.group()} ... {t.group()}", "", f"the network's "
                                  f"{which} trains ({names}) leave {span} "
                                  f"({self.net_line('lines', k, key)})")


def _number(text: str, words: dict[str, int] = NUMBER_WORDS) -> int:
    return int(text) if text.isdigit() else words[text.lower()]


def _minutes(hhmm: str) -> int:
    """Minutes after midnight; times before 04:00 count as the night after (24:15)."""
    h, m = (int(x) for x in hhmm.split(":"))
    return (h + 24 if h < 4 else h) * 60 + m


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
