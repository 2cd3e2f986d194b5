"""Answers from the site pack: live data and the network through templates, else the FAQ.

Each answer carries its source: ``faq:<id>``, ``live:departures``, ``live:notices``,
``network:route``, ``network:fares``, ``slot:exit/<id>`` or ``template:<intent>.<case>``.
When nothing matches well enough the answer says so and offers staff. Who is called
(``help_human``, ``emergency``) is the dialogue's decision: it calls :meth:`SiteQa.notify`,
which goes to the event hook (the staff pager, over telemetry).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from appliance.engines.nlu.base import NluResult
from appliance.engines.nlu.sentence import SentenceEncoder
from appliance.engines.nlu.text import normalize
from appliance.engines.qa.base import Answer, DialogContext, QaEngine
from appliance.engines.qa.events import EVENT_INTENTS, EventHook, KioskEvent
from appliance.engines.qa.retrieval import FaqIndex, Hit
from appliance.frames import Show
from appliance.sitepack import network as net
from appliance.sitepack.live import LiveData, LiveFeed, Notice
from appliance.sitepack.maps import load_maps
from appliance.sitepack.media import is_video
from appliance.sitepack.model import FaqEntry, SitePack, SlotValue
from appliance.sitepack.templating import render

logger = logging.getLogger(__name__)

FAQ_MIN = {"encoder": 0.55, "lexical": 0.62}
"""Least retrieval score to answer from the FAQ at all."""
FAQ_SURE = {"encoder": 0.72, "lexical": 0.8}
"""A retrieval score that beats a slot-filled template (the question is a known FAQ)."""


class SiteQa(QaEngine):
    """The kiosk's answers for one site pack."""

    name = "site"

    def __init__(self, pack: SitePack, encoder: SentenceEncoder | None = None, *,
                 on_event: EventHook | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.pack = pack
        here = pack.slot_value("station", pack.manifest.station)
        self.index = FaqIndex(_with_translated_questions(pack), encoder,
                              implied=[here.name, *here.synonyms] if here else [])
        self.mode = "encoder" if encoder is not None else "lexical"
        self.sure = FAQ_SURE[self.mode]
        """A retrieval score at which an FAQ answer is taken as a known question."""
        self.on_event = on_event
        self.clock = clock
        self.feeds = [LiveFeed(pack.root, f, pack.slots) for f in pack.manifest.feeds]
        self.plan = load_maps(pack).plan
        """The station plan whose places answers show (None: the pack has none)."""
        self.language = pack.language
        """The language of the answer being made (the visitor's, from :meth:`answer`)."""

    # --- helpers -------------------------------------------------------------------

    def live(self) -> LiveData:
        """The first feed with current data; else a stale one (``stale``: answers say there
        is no current information); else ``LiveData(ok=False)``."""
        now = self.clock()
        stale: LiveData | None = None
        for feed in self.feeds:
            data = feed.get(now)
            if data.ok:
                return data
            if data.stale and stale is None:
                stale = data
        return stale if stale is not None else LiveData(ok=False)

    def _common(self) -> dict[str, Any]:
        m = self.pack.manifest
        hour = time.localtime(self.clock()).tm_hour
        daypart = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
        return {"here": self.pack.slot_name("station", m.station), "daypart": daypart,
                "time": time.strftime("%H:%M", time.localtime(self.clock())),
                "operator": m.operator, "staff_contact": m.staff_contact}

    def _say(self, intent: str, case: str, source: str = "", **values: Any) -> Answer:
        templates = self.pack.templates_for(self.language)
        text = render(templates, intent, case, {**self._common(), **values})
        return Answer(text=text, source=source or f"template:{intent}.{case}")

    def _said_in(self, intent: str, case: str) -> str:
        """The language the template ``intent``/``case`` is said in: the answer's where its
        translation has that case, else the pack's first language (its own templates) or
        English (the built-in ones)."""
        tr = self.pack.translations.get(self.language)
        if tr is not None and case in tr.templates.get(intent, {}):
            return self.language
        if case in self.pack.templates.get(intent, {}):
            return self.pack.language
        return "en"

    def _money(self, amount: float, intent: str, case: str) -> str:
        """``amount`` spoken in the language the template ``intent``/``case`` is said in
        ("2 libras con 90"), so the money agrees with the sentence it is in."""
        return net.money(amount, self.pack.manifest.currency, self._said_in(intent, case))

    def _name(self, slot_type: str, value_id: str, intent: str, case: str) -> str:
        """A slot value's name in the language of the template that says it ("bono
        diario", "Línea 1 (línea roja)"; the first language's where the translation
        names it not)."""
        return self.pack.slot_name(slot_type, value_id, self._said_in(intent, case))

    def _notices(self, notices: list[Notice]) -> str:
        """Notices as the answer says them: the feed's text in the first language; in a
        translation's, the feed's text in it, else a line's delay from its kind ("Hay
        retrasos en la Línea 3 (línea verde)."), else the feed's text as its
        ``service_status.notice_untranslated`` says it."""
        if self.language == self.pack.language:
            return " ".join(n.text for n in notices)
        tr = self.pack.translations.get(self.language)
        cases = tr.templates.get("service_status", {}) if tr is not None else {}
        said = []
        for n in notices:
            if n.texts.get(self.language):
                said.append(n.texts[self.language])
            elif n.line and f"notice_{n.status}" in cases:
                said.append(self._say("service_status", f"notice_{n.status}", line_name=self._name(
                    "line", n.line, "service_status", f"notice_{n.status}")).text)
            elif "notice_untranslated" in cases:
                said.append(self._say("service_status", "notice_untranslated", notice=n.text).text)
            else:
                said.append(n.text)
        return " ".join(said)

    def _due(self, minutes: float) -> str:
        """When a train leaves, in the answer's words: "now", "in 2 minutes"."""
        if minutes < 1:
            return self._say("next_train", "due_now").text
        return self._say("next_train", "due_in", minutes=round(minutes)).text

    def _faq(self, hit: Hit) -> Answer:
        tr = self.pack.translations.get(self.language)
        said = tr.faq.get(hit.entry.id) if tr is not None else None
        answer = said.answer if said is not None and said.answer else hit.entry.answer
        text = render({"_": {"_": answer}}, "_", "_", self._common())
        return Answer(text=text, source=f"faq:{hit.entry.id}", media=list(hit.entry.media))

    def notify(self, kind: str, text: str, nlu: NluResult, reason: str = "") -> None:
        """Tell people: ``help_human`` (staff pager) or ``emergency``, through the hook.

        The dialogue decides when (an accepted offer of staff, a safety alert); a
        broken pager is logged and never silences the answer.
        """
        if self.on_event is None:
            return
        event = KioskEvent(kind=kind, text=text, priority=EVENT_INTENTS.get(kind, "normal"),
                           slots=dict(nlu.slots), emotion=nlu.emotion,
                           category=nlu.safety.category if kind == "emergency" else "",
                           reason=reason)
        try:
            self.on_event(event)
        except Exception:  # a broken pager must not silence the answer
            logger.exception("event hook failed for %s", kind)

    # --- answering -----------------------------------------------------------------

    def answer(self, text: str, nlu: NluResult, context: DialogContext,
               query_vec: np.ndarray | None = None) -> Answer:
        intent = nlu.intent
        self._speak_in(nlu.language)
        if intent == "repeat":
            if context.last_answer:
                return Answer(text=context.last_answer, source="dialog:repeat")
            return self._say("repeat", "nothing")
        if intent in ("stop", "greeting", "farewell", "thanks", "help_human", "emergency"):
            return self._say(intent, "default")
        if intent == "out_of_scope":
            return self._say("out_of_scope", "default")
        hits = self.index.search(text, intent, query_vec=query_vec)
        top = hits[0] if hits else None
        sure = top is not None and top.entry.intent == intent and top.score >= FAQ_SURE[self.mode] \
            and self._names_slots(top.entry, nlu.slots)
        handler = getattr(self, f"_on_{intent}", None)
        answer = handler(nlu) if handler is not None and not sure else None
        if answer is None:
            if top is not None and _fits(top, intent, self.mode):
                answer = self._faq(top)
                answer.fit = round(top.score, 3)
            else:
                unsure = self._say("out_of_scope", "unsure")
                unsure.fit = round(top.score, 3) if top is not None else 0.0
                return unsure
        if answer.show is None and answer.source.startswith("faq:") and self.plan is not None \
                and not any(is_video(m) for m in answer.media):  # its own video plays instead
            place = self.plan.for_intent(intent)  # "where are the toilets": show them
            if place is not None:
                answer.show = Show(place=place.id)
        if intent == "find_elevator":  # a lift out of service changes every lift answer
            data = self.live()
            outages = data.notices_for(facility_prefix="lift") if data.ok else []
            if outages:
                answer.text += " " + self._say("find_elevator", "outage",
                                               notices=self._notices(outages)).text
        return answer

    def _speak_in(self, language: str) -> None:
        """Answer in the visitor's language when the pack speaks it, else the pack's own."""
        self.language = language if language in self.pack.translations else self.pack.language

    def where(self, text: str, nlu: NluResult,
              query_vec: np.ndarray | None = None) -> Answer | None:
        """The FAQ answer that says *where*, for a where-question whose intent is an
        action ("where's customer service?" reads as help_human): the place, not the
        action. None when the intent's FAQ has no where-entry close enough."""
        self._speak_in(nlu.language)
        hits = [h for h in self.index.search(text, nlu.intent, query_vec=query_vec)
                if h.entry.intent == nlu.intent]
        top = hits[0] if hits else None
        if top is None or not normalize(top.entry.question).startswith("where") \
                or not _fits(top, nlu.intent, self.mode):
            return None
        answer = self._faq(top)
        answer.fit = round(top.score, 3)
        return answer

    def _names_slots(self, entry: FaqEntry, slots: dict[str, str]) -> bool:
        """``entry`` names every slot value the visitor gave (by name or synonym). An FAQ
        about Exit E may be close to "where is Exit A?" in meaning; it must not answer it
        ahead of the handler that knows Exit A.

        The entry's questions say what it is about; its answer names a value for it only
        where the questions name none of that slot's values ("where is the lift?": "next
        to Exit A"). An answer that mentions a value beside the one asked about is not
        about it: "is there a discount for students?" answers "half the adult fare", the
        week pass's answer compares it with the day pass."""
        asked = f" {normalize(' '.join([entry.question, *entry.alternatives]))} "
        answered = f" {normalize(entry.answer)} "
        for slot_type, value_id in slots.items():
            value = self.pack.slot_value(slot_type, value_id)
            if value is None or not _forms(value):
                continue
            if _says(asked, value):
                continue
            if not _says(answered, value) or any(
                    _says(asked, other) for other in self.pack.slots.get(slot_type, [])):
                return False
        return True

    # each handler returns None to fall back to the FAQ

    def _on_next_train(self, nlu: NluResult) -> Answer | None:
        data = self.live()
        if data.stale:  # old times are not read out, nor an FAQ answer in their place
            return self._say("next_train", "stale")
        line, station = nlu.slots.get("line", ""), nlu.slots.get("station", "")
        if not data.ok or not data.departures:
            info = self.pack.network.line(line) if line else None
            if info is None:
                return None
            return self._say("next_train", "no_data", "network:headways",
                             line_name=self._name("line", line, "next_train", "no_data"),
                             headway_min=f"{info.headway_min:g}")
        deps = data.departures
        if line:
            deps = [d for d in deps if d.line == line]
        if station:
            route = net.plan_route(self.pack, self.pack.manifest.station, station)
            if route and route.legs:
                first = route.legs[0]
                deps = [d for d in deps if d.line == first.line and d.destination == first.towards]
        if not line and not station:
            shown: dict[tuple[str, str], Any] = {}
            for d in data.departures:
                shown.setdefault((d.line, d.destination), d)
            parts = [self._say("next_train", "departure", due=self._due(d.due_min),
                               line_name=self._name("line", d.line, "next_train", "departure")
                               .split(" (")[0],
                               destination=self.pack.slot_name("station", d.destination)).text
                     for d in list(shown.values())[:4]]
            return self._say("next_train", "overview", "live:departures",
                             departures="; ".join(parts))
        if not deps:
            return None
        d0 = deps[0]
        same = [d for d in deps[1:] if d.destination == d0.destination]
        case = "default" if same else "single"
        values = {"line_name": self._name("line", d0.line, "next_train", case),
                  "destination": self.pack.slot_name("station", d0.destination),
                  "platform": d0.platform, "due": self._due(d0.due_min)}
        if same:
            return self._say("next_train", "default", "live:departures",
                             due_next=self._due(same[0].due_min), **values)
        return self._say("next_train", "single", "live:departures", **values)

    def _on_service_status(self, nlu: NluResult) -> Answer | None:
        data = self.live()
        if data.stale:  # no "running normally" from old data, nor an FAQ answer instead
            return self._say("service_status", "stale")
        if not data.ok:
            return None
        line = nlu.slots.get("line", "")
        notices = data.notices_for(line)
        if notices:
            text = self._notices(notices)
            case = "line_notice" if line else "default"
            return self._say("service_status", case, "live:notices", notices=text,
                             line_name=self._name("line", line, "service_status", case)
                             if line else "")
        if line:
            return self._say("service_status", "line_good", "live:notices",
                             line_name=self._name("line", line, "service_status", "line_good"))
        return self._say("service_status", "all_good", "live:notices")

    def _on_route_planning(self, nlu: NluResult) -> Answer | None:
        station = nlu.slots.get("station", "")
        if not station:
            return None
        origin = nlu.slots.get("origin", self.pack.manifest.station)
        if station == origin == self.pack.manifest.station:
            return self._say("route_planning", "here")
        route = net.plan_route(self.pack, origin, station)
        if route is None:
            return None
        values = {"station_name": self.pack.slot_name("station", station),
                  "stops": route.stops, "minutes": round(route.minutes)}
        if len(route.legs) == 1:
            leg = route.legs[0]
            answer = self._say("route_planning", "direct", "network:route",
                               line_name=self._name("line", leg.line, "route_planning", "direct"),
                               direction=self.pack.slot_name("station", leg.towards), **values)
        else:
            answer = self._say("route_planning", "default", "network:route",
                               route=net.describe_route(
                                   self.pack, route, self.pack.templates_for(self.language),
                                   self._said_in("route_planning", "first_leg")),
                               **values)
        data = self.live()
        lines = {leg.line for leg in route.legs}
        notices = [n for n in data.notices if n.line in lines] if data.ok else []
        if notices:
            answer.text += " " + self._say("route_planning", "disrupted",
                                           notices=self._notices(notices)).text
        answer.media = [self.pack.manifest.media["network_map"]] \
            if "network_map" in self.pack.manifest.media else []
        answer.show = net.route_show(self.pack, route)
        return answer

    def _fare_values(self, station: str, intent: str) -> dict[str, Any] | None:
        """The single and card fares to ``station`` for ``intent``'s default case."""
        single = net.fare(self.pack, self.pack.manifest.station, station)
        if single is None:
            return None
        card = single * (1 - self.pack.network.fares.card_discount)
        return {"station_name": self.pack.slot_name("station", station),
                "single_price": self._money(single, intent, "default"),
                "card_price": self._money(card, intent, "default")}

    def _on_fare_inquiry(self, nlu: NluResult) -> Answer | None:
        station, ticket = nlu.slots.get("station", ""), nlu.slots.get("ticket_type", "")
        if station and ticket in ("", "single", "concession"):
            # "how much for a child to the zoo?": the concession fare there, said as such
            values = self._concession_values(station, nlu.slots.get("traveller", ""))
            if values is not None:
                return self._say("fare_inquiry", "concession", "network:fares", **values)
        if station and ticket == "return":
            # "how much is a child return to the zoo?": the adult return there, and the
            # concession single there (the concession is of the single; the network has no
            # concession return, and half a return is not a price it states)
            values = self._return_concession_values(station, nlu.slots.get("traveller", ""))
            if values is not None:
                return self._say("fare_inquiry", "return_concession", "network:fares",
                                 **values)
        if ticket in net.PASSES or (ticket == "return" and not station):
            # "how much is a child day pass?": the pass's one price, and where the
            # concession is (singles), never a child pass price the network does not have;
            # a child return with no station likewise (the return from within zone 1)
            values = self._pass_concession_values(ticket, nlu.slots.get("traveller", ""))
            if values is not None:
                return self._say("fare_inquiry", "pass_concession", "network:fares", **values)
        if ticket and ticket != "single":
            single = net.fare(self.pack, self.pack.manifest.station, station) if station else None
            price = net.ticket_price(self.pack, ticket, single)
            if price is not None:
                return self._say("fare_inquiry", "ticket", "network:fares",
                                 ticket_name=self._name("ticket_type", ticket, "fare_inquiry",
                                                        "ticket"),
                                 ticket_price=self._money(price, "fare_inquiry", "ticket"))
        if station:
            values = self._fare_values(station, "fare_inquiry")
            if values is not None:
                return self._say("fare_inquiry", "default", "network:fares", **values)
        elif ticket in ("", "single") and (ticket or nlu.slots.get("traveller") == "adult"):
            # "how much for two adults?", "how much is a single?": the adult single from
            # here, and where to (the fare depends on it); not the FAQ's nearest sentence
            return self._fares_from_here()
        return None

    def _concession_values(self, station: str, traveller: str) -> dict[str, Any] | None:
        """The concession single to ``station`` for a traveller who pays it (a traveller
        slot value with ``fare: concession``: a child, a student, a senior); else None."""
        value = self._concession_traveller(traveller)
        if value is None:
            return None
        single = net.fare(self.pack, self.pack.manifest.station, station)
        price = net.ticket_price(self.pack, "concession", single) if single is not None else None
        if single is None or price is None:
            return None
        return {"station_name": self.pack.slot_name("station", station),
                "traveller_name": value.name,
                "concession_price": self._money(price, "fare_inquiry", "concession"),
                "single_price": self._money(single, "fare_inquiry", "concession")}

    def _concession_traveller(self, traveller: str) -> SlotValue | None:
        """The ``traveller`` slot value when it pays the concession (``fare: concession``:
        a child, a student, a senior); else None."""
        value = self.pack.slot_value("traveller", traveller) if traveller else None
        return value if value is not None and value.attrs.get("fare") == "concession" else None

    def _return_concession_values(self, station: str,
                                  traveller: str) -> dict[str, Any] | None:
        """A return to ``station`` asked for a traveller who pays the concession on singles:
        the adult return there and the concession single there; else None."""
        value = self._concession_traveller(traveller)
        if value is None:
            return None
        single = net.fare(self.pack, self.pack.manifest.station, station)
        if single is None:
            return None
        price = net.ticket_price(self.pack, "return", single)
        concession = net.ticket_price(self.pack, "concession", single)
        if price is None or concession is None:
            return None
        case = ("fare_inquiry", "return_concession")
        return {"ticket_name": self._name("ticket_type", "return", *case),
                "station_name": self.pack.slot_name("station", station),
                "ticket_price": self._money(price, *case),
                "traveller_name": value.name,
                "concession_price": self._money(concession, *case)}

    def _pass_concession_values(self, ticket: str, traveller: str) -> dict[str, Any] | None:
        """A pass (or a return with no station: the one from within zone 1) asked for a
        traveller who pays the concession on singles: its price and the cheapest
        concession single; else None."""
        value = self._concession_traveller(traveller)
        if value is None:
            return None
        price = net.ticket_price(self.pack, ticket, None)
        cheapest = net.ticket_price(self.pack, "concession", None)
        if price is None or cheapest is None:
            return None
        case = ("fare_inquiry", "pass_concession")
        return {"ticket_name": self._name("ticket_type", ticket, *case),
                "ticket_price": self._money(price, *case),
                "traveller_name": value.name,
                "concession_price": self._money(cheapest, *case)}

    def _fares_from_here(self) -> Answer | None:
        """The cheapest adult single and the day pass, asking where to (``asks``)."""
        f = self.pack.network.fares
        cheapest = net.ticket_price(self.pack, "single", None)
        if cheapest is None or not f.day_pass:
            return None
        answer = self._say("fare_inquiry", "no_station", "network:fares",
                           min_fare=self._money(cheapest, "fare_inquiry", "no_station"),
                           day_pass=self._money(f.day_pass, "fare_inquiry", "no_station"))
        answer.asks = "station"
        return answer

    def _on_ticket_purchase(self, nlu: NluResult) -> Answer | None:
        station = nlu.slots.get("station", "")
        values = self._fare_values(station, "ticket_purchase") if station else None
        if values is None:
            return None
        return self._say("ticket_purchase", "default", "network:fares", **values)

    def _on_find_exit(self, nlu: NluResult) -> Answer | None:
        exit_id = nlu.slots.get("exit", "")
        value = self.pack.slot_value("exit", exit_id) if exit_id else None
        if value is None or not value.attrs.get("directions"):
            return None
        answer = self._say("find_exit", "default", f"slot:exit/{exit_id}",
                           exit_name=value.name, exit_directions=value.attrs["directions"])
        if "exits_map" in self.pack.manifest.media:
            answer.media = [self.pack.manifest.media["exits_map"]]
        place = self.plan.for_exit(exit_id) if self.plan is not None else None
        if place is not None:
            answer.show = Show(place=place.id)
        return answer


def _fits(hit: Hit, intent: str, mode: str) -> bool:
    """An FAQ answer fits the question: retrieved well enough, and about the intent
    understood (an entry of another intent must be a sure match: a found wallet does
    not get the lost-wallet answer on a loose resemblance)."""
    if hit.score < FAQ_MIN[mode]:
        return False
    return hit.entry.intent == intent or hit.score >= FAQ_SURE[mode]


def _forms(value: SlotValue) -> set[str]:
    return {normalize(f) for f in (value.name, *value.synonyms)} - {""}


def _says(text: str, value: SlotValue) -> bool:
    """``text`` (normalized, padded with spaces) names ``value`` by name or synonym."""
    return any(f" {form} " in text for form in _forms(value))


def _with_translated_questions(pack: SitePack) -> list[FaqEntry]:
    """The FAQ with each entry's questions in the pack's other languages among its
    alternatives, so retrieval finds an entry however the visitor asked."""
    out = []
    for entry in pack.faq:
        asked = [q for tr in pack.translations.values()
                 for q in (tr.faq[entry.id].questions if entry.id in tr.faq else [])]
        out.append(replace(entry, alternatives=[*entry.alternatives, *asked]) if asked else entry)
    return out
