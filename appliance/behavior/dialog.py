"""Multi-turn dialogue: safety first, the kiosk's own questions, context, expressive style.

One :class:`Dialog` per visitor. Each turn is understood (intent and slots by the NLU,
danger by the safety engine, dialogue acts from the words) and then answered:

1. **Danger.** ``alert``: staff are called at once (``emergency`` event) and the
   visitor is told so, with a safe instruction. ``confirm``: one short question
   ("Is someone in danger right now?"); a yes, an unclear answer or silence for
   ``confirm_timeout_s`` escalates to an alert (see :meth:`Dialog.tick`), a no (or a
   clear, safe new request) returns to normal.
2. **The kiosk's last question.** Yes/no/"the second one"/"never mind" answer it: an
   accepted offer to call staff really calls staff (``help_human``), a chosen station
   completes the route question that asked for it.
3. **The request.** Follow-ups carry the last topic and slots over ("and how much is
   it?", "what about Hillcrest?"); a route or fare without a known station gets a
   clarifying question (with a fuzzy "did you mean" for unknown names); two questions
   in one utterance are both answered; "say that again slowly" repeats slower.
4. **Fit.** An answer the QA is unsure of becomes one honest line and an offer of staff.

The dialogue's own lines are said in the visitor's language (:mod:`appliance.behavior.lines`);
a bare answer to the kiosk's question keeps the question's language.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from appliance.behavior import acts as act
from appliance.behavior import emergency, lines
from appliance.behavior.clarify import Clarifier
from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.nlu.text import normalize, tokens
from appliance.engines.qa.base import Answer, DialogContext
from appliance.engines.qa.events import EventHook
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.base import SafetyEngine
from appliance.engines.tts.base import Prosody
from appliance.frames import Safety
from appliance.language.style import choose_style, prosody_for, rewrite
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

CARRY_SLOTS = ("station", "line", "exit", "ticket_type")
PLACE_SLOTS = frozenset({"station", "exit"})
"""Slots that name where the visitor wants to go: one named now is what the question is
about, so the last one is not carried over it ("which exit for the mall?", then "which
exit for the hospital?" is not about Exit C)."""
FOLLOW_INTENTS = {"fare_inquiry", "route_planning", "next_train", "ticket_purchase",
                  "service_status", "find_exit", "opening_hours", "find_elevator"}
FOLLOW_CUES = {"it", "there", "that", "and", "also", "same", "then", "about", "instead",
               "one", "after", "before", "next", "what"}
MAX_FOLLOW_WORDS = 8
MAX_ACT_WORDS = 3
"""An answer to the kiosk's question this short is a bare act, said in the question's
language whatever the language ID heard."""
MAX_DENY_WORDS = 6
"""A "no, it is fine, thanks" is still only a no (acts.detect already refuses a "no"
followed by a new request)."""
_WHERE = re.compile(r"^(?:excuse me |sorry |hi |hello )?(?:where(?:s|\b)|dónde\b|donde\b)")
CONFIRM_TIMEOUT_S = 12.0
"""Silence this long after the danger question (spoken ~4 s) escalates to an alert."""
SAFE_NEW_REQUEST = 0.9
"""A reply to the danger question that is an in-scope request at least this sure, with
no danger in it, counts as a "no" (the visitor went on with their journey)."""
_PRICE = re.compile(r"\b(?:how much|costs?|prices?|fares?|cuestan?|precios?|tarifas?)\b")
"""Words that ask what something costs ("what's the adult fare?", "¿cuánto cuesta?")."""


def _carried(named: dict[str, str]) -> list[str]:
    """The slots a follow-up may take from the last turn, given the slots it names: no
    last place over a place named now (:data:`PLACE_SLOTS`)."""
    if PLACE_SLOTS & set(named):
        return [k for k in CARRY_SLOTS if k not in PLACE_SLOTS]
    return list(CARRY_SLOTS)


def _asks_price(text: str) -> bool:
    """The visitor asks what something costs (:data:`_PRICE`)."""
    return bool(_PRICE.search(normalize(text)))


def _asks_where(text: str) -> bool:
    """The visitor asks where something is ("where's customer service?", "¿dónde está...")."""
    return bool(_WHERE.match(normalize(text)))


@dataclass
class Pending:
    """The kiosk's own open question, waiting for the visitor's answer."""

    kind: str  # confirm_danger | offer_staff | clarify_station | after_alert
    asked_at: float
    intent: str = ""
    slots: dict[str, str] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)
    category: str = ""
    language: str = "en"
    """The language the question was asked in: a bare "sí" answering it keeps it."""


@dataclass
class Turn:
    text: str
    nlu: NluResult
    answer: Answer
    prosody: Prosody
    latency_ms: float = 0.0
    events: list[str] = field(default_factory=list)
    """People called this turn: ``emergency`` and/or ``help_human``."""


class Dialog:
    """One conversation with one visitor (call :meth:`reset` when they leave)."""

    def __init__(self, pack: SitePack, nlu: NluEngine, qa: SiteQa,
                 safety: SafetyEngine | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 confirm_timeout_s: float = CONFIRM_TIMEOUT_S) -> None:
        from appliance.engines.safety.keyword import KeywordSafety

        self.pack = pack
        self.nlu = nlu
        self.qa = qa
        self.safety = safety if safety is not None else KeywordSafety()
        self.clock = clock
        self.confirm_timeout_s = confirm_timeout_s
        self.slots = SlotExtractor(pack)
        self.travellers = SlotExtractor(replace(pack, slots={
            k: v for k, v in pack.slots.items() if k == "traveller"}))
        """Who a fare is for, found on its own: "child" inside "child ticket" too."""
        self.clarifier = Clarifier(pack)
        self.context = DialogContext()
        self.last_intent = ""
        self.last_text = ""
        self.pending: Pending | None = None

    @classmethod
    def create(cls, pack: SitePack | Path | str, engine: str = "auto",
               on_event: EventHook | None = None) -> Dialog:
        """A dialogue over the best NLU available, its safety model and the site QA."""
        from appliance.engines.nlu.factory import make_nlu
        from appliance.engines.safety.factory import make_safety
        from appliance.sitepack import load_sitepack

        if not isinstance(pack, SitePack):
            pack = load_sitepack(pack)
        nlu = make_nlu(pack, engine=engine)
        encoder = getattr(nlu, "encoder", None)
        return cls(pack, nlu, SiteQa(pack, encoder, on_event=on_event), make_safety(pack, nlu))

    def reset(self) -> None:
        self.context = DialogContext()
        self.last_intent = ""
        self.last_text = ""
        self.pending = None

    # --- understanding ---------------------------------------------------------------

    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        """Intent, slots and emotion (NLU), danger (safety engine) and dialogue acts."""
        nlu = self.nlu.understand(text, voice)
        return replace(nlu, safety=self.safety.assess(text, self._embed(text)),
                       acts=act.detect(text))

    def _embed(self, text: str) -> np.ndarray | None:
        """The NLU's (cached) embedding of ``text``, shared by safety and retrieval."""
        embed = getattr(self.nlu, "embed", None)
        return embed(text) if embed is not None and text.strip() else None

    # --- answering ---------------------------------------------------------------------

    def turn(self, text: str, voice: VoiceFeatures | None = None,
             language: str | None = None) -> Turn:
        """Understand, answer and style one visitor utterance (said in ``language``, as
        the ASR's language ID tells; default: the pack's first language)."""
        t0 = time.perf_counter()
        nlu = self.understand(text, voice)
        if language:
            nlu = replace(nlu, language=language)
        result = self.respond(text, nlu)
        result.latency_ms = (time.perf_counter() - t0) * 1000
        return result

    def respond(self, text: str, nlu: NluResult) -> Turn:
        """The reply to an understood utterance (the pipeline understands in its own stage)."""
        now = self.clock()
        turn = self._respond(text, nlu, now)
        if turn.nlu.intent not in ("repeat", "stop") and "repeat_slow" not in nlu.acts:
            self.context.last_answer = turn.answer.text
            for key in CARRY_SLOTS:
                if key in turn.nlu.slots:
                    self.context.last_slots[key] = turn.nlu.slots[key]
            if turn.nlu.intent not in ("out_of_scope", "emergency"):
                self.last_intent = turn.nlu.intent
                self.last_text = text
        self.context.history.append((text, turn.answer.text))
        del self.context.history[:-20]
        logger.debug("turn %r -> %s %s %s", text, turn.nlu.intent, turn.answer.source,
                     turn.events)
        return turn

    def tick(self, now: float | None = None) -> Turn | None:
        """Silence after the danger question escalates: the alert turn, when it is due."""
        now = self.clock() if now is None else now
        p = self.pending
        if p is None or p.kind != "confirm_danger" or now - p.asked_at < self.confirm_timeout_s:
            return None
        logger.warning("no answer to the danger question for %.0f s: alerting staff",
                       now - p.asked_at)
        nlu = NluResult("emergency", 1.0, language=p.language,
                        safety=Safety("alert", p.category, 1.0))
        return self._alert("", nlu, p.category or "cry_for_help", reason="no-answer")

    def _respond(self, text: str, nlu: NluResult, now: float) -> Turn:
        pending, self.pending = self.pending, None
        if pending is not None and nlu.acts and len(tokens(text)) <= MAX_ACT_WORDS:
            # a one-word "sí"/"yes" tells its language badly: the answer to a question
            # is in the question's language
            nlu = replace(nlu, language=pending.language)
        lang = nlu.language
        if nlu.safety.action == "alert":
            return self._alert(text, nlu, nlu.safety.category)
        if pending is not None and pending.kind == "after_alert":
            after = self._after_alert(text, nlu)
            if after is not None:
                return after
        if pending is not None and pending.kind == "confirm_danger":
            if self._stands_down(nlu):
                if "deny" in nlu.acts or "never_mind" in nlu.acts:
                    return self._say(text, nlu, emergency.stood_down_line(self.pack, lang),
                                     "dialog:stood-down")
            else:
                return self._alert(text, nlu, pending.category or nlu.safety.category,
                                   reason="confirmed")
        if nlu.safety.action == "confirm":
            category = nlu.safety.category or "cry_for_help"
            self.pending = Pending("confirm_danger", now, category=category, language=lang)
            return self._say(text, replace(nlu, intent="emergency"),
                             emergency.confirm_line(self.pack, lang), "safety:confirm",
                             style="clear")
        if "repeat_slow" in nlu.acts and self.context.last_answer:
            return Turn(text, replace(nlu, intent="repeat"),
                        Answer(self.context.last_answer, "dialog:repeat-slow", style="slow"),
                        prosody_for("slow"))
        if pending is None and "deny" in nlu.acts and act.only_deny(text):
            # a bare "no" to nothing the kiosk asked: the intent model's guess for two
            # letters (it says "repeat") would replay the last answer at the visitor
            return self._say(text, replace(nlu, intent="stop"),
                             lines.line(self.pack, lang, "declined"), "dialog:declined")
        if "never_mind" in nlu.acts and (pending is not None or len(tokens(text)) <= 3):
            return self._say(text, replace(nlu, intent="stop"),
                             lines.line(self.pack, lang, "never_mind"),
                             "dialog:never-mind")
        if pending is not None:
            answered = self._answer_pending(text, nlu, pending, now)
            if answered is not None:
                return answered
        return self._request(text, nlu, now)

    def _after_alert(self, text: str, nlu: NluResult) -> Turn | None:
        """The visitor's first words after an alert. A "no" does not call staff off (the
        kiosk cannot tell a false alarm from a visitor told to keep quiet); it says they
        still come. A "yes" is told they are on the way, not the alert again."""
        if len(tokens(text)) > MAX_DENY_WORDS:
            return None
        key = ("alert_stays" if "deny" in nlu.acts or "never_mind" in nlu.acts
               else "alert_coming" if "affirm" in nlu.acts else "")
        if not key:
            return None
        line = lines.line(self.pack, nlu.language, key)
        return self._say(text, replace(nlu, intent="emergency"), line,
                         f"dialog:{key.replace('_', '-')}", style="clear")

    def _stands_down(self, nlu: NluResult) -> bool:
        """The answer to "is someone in danger?" is a no (or a sure, safe new request)."""
        if "affirm" in nlu.acts:
            return False
        if "deny" in nlu.acts or "never_mind" in nlu.acts:
            return True
        return nlu.safety.action == "none" and nlu.confidence >= SAFE_NEW_REQUEST \
            and nlu.intent not in ("out_of_scope", "emergency", "help_human")

    def _answer_pending(self, text: str, nlu: NluResult, p: Pending, now: float) -> Turn | None:
        if p.kind == "offer_staff":
            if "affirm" in nlu.acts:
                return self._call_staff(text, nlu)
            if "deny" in nlu.acts:
                return self._say(text, replace(nlu, intent="stop"),
                                 lines.line(self.pack, nlu.language, "declined"),
                                 "dialog:declined")
            return None
        if p.kind == "clarify_station":
            if nlu.intent != p.intent and nlu.slots.get("station") \
                    and nlu.confidence >= SAFE_NEW_REQUEST:
                return None  # a sure request of its own ("how do I get to Old Town?")
            station = self.clarifier.chosen(text, nlu, p.options)
            if station:
                # what the answer names itself ("a child ticket to the zoo" after the
                # adult fare) wins over what the question's turn named
                slots = {**p.slots, **self._named(text, nlu, p.intent), "station": station}
                return self._request(text, NluResult(p.intent, 1.0, slots, nlu.emotion,
                                                     nlu.language, nlu.safety, nlu.acts), now)
            if "deny" in nlu.acts:
                return self._say(text, replace(nlu, intent=p.intent),
                                 self.clarifier.network_line(nlu.language), "dialog:network")
        return None

    def _named(self, text: str, nlu: NluResult, intent: str) -> dict[str, str]:
        """The slots of ``intent`` that ``text`` names itself, who a fare is for included
        (the "child" inside "child ticket")."""
        wanted = self.pack.intents[intent].slots if intent in self.pack.intents else []
        found = {**self.travellers.extract(text), **self.slots.extract(text), **nlu.slots}
        return {k: v for k, v in found.items() if k in wanted}

    def _request(self, text: str, nlu: NluResult, now: float) -> Turn:
        if "second_question" in nlu.acts:
            both = self._two_questions(text, nlu, now)
            if both is not None:
                return both
        nlu = self.for_whom(text, self.resolve(text, nlu))
        if nlu.intent == "find_exit" and not nlu.slots.get("exit"):
            other = self._exit_for_a_stop(text, nlu, now)
            if other is not None:
                return other
            place = self.clarifier.unknown_place(text)
            if place:  # "which exit for the stadium?": a place the site does not know
                known = self._answer(text, nlu, now)
                if f" {place} " in f" {normalize(known.answer.text)} ":
                    return known  # an answer about that very place
                self.pending = None  # the discarded answer's offer of staff is not made
                return self._say(text, nlu, self.clarifier.landmark_line(place, nlu.language),
                                 "dialog:unknown-landmark", style="clear")
        question = self.clarifier.question(text, nlu)
        if question is not None:
            known = self._answer(text, nlu, now)
            if known.answer.source.startswith("faq:") and known.answer.fit >= self.qa.sure:
                return known  # the site's FAQ knows this place: no question back
            self.pending = None
            line, options = question
            if self.clarifier.off_network(text, nlu):
                nlu = replace(nlu, intent="route_planning")
            self.pending = Pending("clarify_station", now, nlu.intent, dict(nlu.slots), options,
                                   language=nlu.language)
            return self._say(text, nlu, line, "dialog:clarify", style="clear")
        if nlu.intent == "help_human":
            where = self.qa.where(text, nlu, self._embed(text)) if _asks_where(text) else None
            if where is None:
                return self._call_staff(text, nlu)
            # "where's customer service?" is told where, and offered staff; nobody is paged
            self.pending = Pending("offer_staff", now, language=nlu.language)
            where.text = f"{where.text} {lines.line(self.pack, nlu.language, 'offer_staff')}"
            return Turn(text, nlu, where, prosody_for("neutral"))
        if nlu.intent == "emergency":  # the intent head alone never raises an alarm: offer
            self.pending = Pending("offer_staff", now, language=nlu.language)
            return self._say(text, nlu, lines.line(self.pack, nlu.language, "offer_staff"),
                             "dialog:offer-staff")
        return self._answer(text, nlu, now)

    def _exit_for_a_stop(self, text: str, nlu: NluResult, now: float) -> Turn | None:
        """"Which exit for the hospital?" where the hospital is another stop (Medical
        Centre): the way there, unless the site's own answer is about that very place.
        "Which exit for Central Square?" at Central Square: the visitor is there already,
        and gets the site's answer about its exits."""
        station = self.slots.extract(text).get("station", "")
        value = self.pack.slot_value("station", station) if station else None
        if value is None:
            return None
        if station == self.pack.manifest.station:
            if self.slots.extract(self.clarifier.destination(text)).get("station") != station:
                return None  # "what exits does this station have?": not a way to it
            here = lines.line(self.pack, nlu.language, "already_here", station=value.name)
            return self._answer(text, nlu, now, lead=here)
        known = self._answer(text, nlu, now)
        said = f" {normalize(known.answer.text)} "
        if any(f" {normalize(form)} " in said for form in [value.name, *value.synonyms]):
            return known  # an exit of this station leads there ("the zoo bus")
        self.pending = None  # the discarded answer's offer of staff is not made
        route = replace(nlu, intent="route_planning", slots={**nlu.slots, "station": station})
        return self._answer(text, route, now)

    def _answer(self, text: str, nlu: NluResult, now: float, lead: str = "") -> Turn:
        """The site's answer, styled; ``lead``: a sentence said before it."""
        answer = self.qa.answer(text, nlu, self.context, query_vec=self._embed(text))
        if lead:
            answer.text = f"{lead} {answer.text}"
        if answer.source.startswith("template:out_of_scope"):
            self.pending = Pending("offer_staff", now, language=nlu.language)
            style = "apologetic" if nlu.emotion.label == "frustrated" else "neutral"
            answer.style = style
            return Turn(text, nlu, answer, prosody_for(style))  # one line, never restyled
        if answer.asks == "station":  # "... Where are you going?": the next words answer it
            self.pending = Pending("clarify_station", now, nlu.intent, dict(nlu.slots),
                                   language=nlu.language)
        style = choose_style(nlu.emotion, nlu.intent, said=text)
        if nlu.intent != "repeat" and nlu.language.startswith("en"):  # English lead-ins
            answer.text = rewrite(answer.text, style, nlu.intent)
        answer.style = style
        return Turn(text, nlu, answer, prosody_for(style))

    def _two_questions(self, text: str, nlu: NluResult, now: float) -> Turn | None:
        """Both requests of "where's the toilet and when is the last train" answered."""
        parts = act.split_questions(text)[:2]
        turns: list[Turn] = []
        for part in parts:
            sub = self.understand(part)
            if sub.intent in ("out_of_scope", "emergency") or sub.safety.action != "none":
                return None
            turns.append(self._answer(part, replace(sub, emotion=nlu.emotion), now))
        if len(turns) < 2 or turns[0].nlu.intent == turns[1].nlu.intent:
            return None
        first = turns[0]
        joined = f"{first.answer.text} {turns[1].answer.text}"
        slots = {**turns[1].nlu.slots, **first.nlu.slots}
        answer = Answer(joined, f"{first.answer.source}+{turns[1].answer.source}",
                        first.answer.media + turns[1].answer.media, first.answer.style,
                        show=first.answer.show or turns[1].answer.show)
        return Turn(text, replace(first.nlu, slots=slots, acts=nlu.acts), answer, first.prosody)

    def for_whom(self, text: str, nlu: NluResult) -> NluResult:
        """Who a fare is for (slot ``traveller``, where the pack's fare_inquiry takes it),
        read from the words whatever other slot they are part of: "how much is a child
        ticket to the zoo?" names the concession ticket and a child. A ticket purchase
        that names a traveller and asks what it costs ("what's the adult fare?" read as
        buying a ticket) is a fare inquiry: the fare, not the FAQ nearest to buying."""
        fare = self.pack.intents.get("fare_inquiry")
        if fare is None or "traveller" not in fare.slots \
                or nlu.intent not in ("fare_inquiry", "ticket_purchase"):
            return nlu
        traveller = nlu.slots.get("traveller") or self.travellers.extract(text).get("traveller")
        if not traveller:
            return nlu
        if nlu.intent == "ticket_purchase":
            if not _asks_price(text):
                return nlu  # "do I need a ticket for my kid?": buying, as understood
            slots = {**self.slots.extract(text), **nlu.slots}
            nlu = replace(nlu, intent="fare_inquiry",
                          slots={k: v for k, v in slots.items() if k in fare.slots})
        return replace(nlu, slots={**nlu.slots, "traveller": traveller})

    def resolve(self, text: str, nlu: NluResult) -> NluResult:
        """Fill a follow-up from context: missing slots, or the last intent for a new slot."""
        words = tokens(text)
        short = len(words) <= MAX_FOLLOW_WORDS
        cued = short and bool(FOLLOW_CUES & set(words))
        last = self.last_intent
        if "correction" in nlu.acts and last in FOLLOW_INTENTS:  # "no, I meant Northgate"
            found = self.slots.extract(text)
            wanted = set(self.pack.intents[last].slots)
            if set(found) & wanted:
                kept = {k: v for k, v in self.context.last_slots.items() if k in wanted}
                return replace(nlu, intent=last,
                               slots={**kept, **{k: v for k, v in found.items() if k in wanted}})
        if nlu.intent in ("out_of_scope", "smalltalk") and last in FOLLOW_INTENTS and short:
            found = self.slots.extract(text)
            wanted = set(self.pack.intents[last].slots)
            if found and set(found) & wanted and (cued or len(words) <= 4):
                return replace(nlu, intent=last,
                               slots={k: v for k, v in found.items() if k in wanted})
            if cued and len(words) <= 5:  # "and the one after?", "what about sunday?"
                carry = _carried(found)
                carried = {k: v for k, v in self.context.last_slots.items()
                           if k in wanted and k in carry}
                return replace(nlu, intent=last, slots=carried)
        if nlu.intent in FOLLOW_INTENTS and (cued or nlu.intent == last):
            wanted = set(self.pack.intents[nlu.intent].slots)
            slots = dict(nlu.slots)
            for key in _carried(self.slots.extract(text)):
                if key in wanted and key not in slots and key in self.context.last_slots:
                    slots[key] = self.context.last_slots[key]
            return replace(nlu, slots=slots)
        return nlu

    # --- people ------------------------------------------------------------------------

    def _alert(self, text: str, nlu: NluResult, category: str, reason: str = "model") -> Turn:
        category = category or "cry_for_help"
        safety = Safety("alert", category, max(nlu.safety.score, 0.5), nlu.safety.cue)
        nlu = replace(nlu, intent="emergency", safety=safety)
        self.qa.notify("emergency", text or "(no answer to the danger question)", nlu,
                       reason=reason)
        # the next "no" or "yes" answers the alert, not the intent model's guess
        self.pending = Pending("after_alert", self.clock(), category=category,
                               language=nlu.language)
        return self._say(text, nlu, emergency.alert_line(self.pack, category, nlu.language),
                         f"safety:alert/{category}", style="urgent", events=["emergency"])

    def _call_staff(self, text: str, nlu: NluResult) -> Turn:
        nlu = replace(nlu, intent="help_human")
        self.qa.notify("help_human", text, nlu)
        answer = self.qa.answer(text, nlu, self.context)
        return Turn(text, nlu, answer, prosody_for("neutral"), events=["help_human"])

    def _say(self, text: str, nlu: NluResult, line: str, source: str, *, style: str = "neutral",
             events: list[str] | None = None) -> Turn:
        return Turn(text, nlu, Answer(line, source, style=style), prosody_for(style),
                    events=list(events or []))
