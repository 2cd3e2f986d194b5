"""Multi-turn dialogue: context carried between turns, follow-ups, repeat, expressive style.

"How do I get to the zoo?" then "and how much is it?" answers the fare to the zoo;
"what about Hillcrest?" re-asks the last question for a new station; ``repeat``
replays the last answer. Each turn returns the understanding, the answer (with its
source and style) and the TTS prosody to speak it with.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from appliance.behavior.style import choose_style, prosody_for, rewrite
from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures
from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.nlu.text import tokens
from appliance.engines.qa.base import Answer, DialogContext
from appliance.engines.qa.events import EventHook
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.tts.base import Prosody
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

CARRY_SLOTS = ("station", "line", "exit", "ticket_type")
FOLLOW_INTENTS = {"fare_inquiry", "route_planning", "next_train", "ticket_purchase",
                  "service_status", "find_exit", "opening_hours"}
FOLLOW_CUES = {"it", "there", "that", "and", "also", "same", "then", "about", "instead"}
MAX_FOLLOW_WORDS = 8


@dataclass
class Turn:
    text: str
    nlu: NluResult
    answer: Answer
    prosody: Prosody
    latency_ms: float = 0.0


class Dialog:
    """One conversation with one visitor (call :meth:`reset` when they leave)."""

    def __init__(self, pack: SitePack, nlu: NluEngine, qa: SiteQa) -> None:
        self.pack = pack
        self.nlu = nlu
        self.qa = qa
        self.slots = SlotExtractor(pack)
        self.context = DialogContext()
        self.last_intent = ""

    @classmethod
    def create(cls, pack: SitePack | Path | str, engine: str = "auto",
               on_event: EventHook | None = None) -> Dialog:
        """A dialogue over the best NLU available and the site QA sharing its encoder."""
        from appliance.engines.nlu.factory import make_nlu
        from appliance.sitepack import load_sitepack

        if not isinstance(pack, SitePack):
            pack = load_sitepack(pack)
        nlu = make_nlu(pack, engine=engine)
        encoder = getattr(nlu, "encoder", None)
        return cls(pack, nlu, SiteQa(pack, encoder, on_event=on_event))

    def reset(self) -> None:
        self.context = DialogContext()
        self.last_intent = ""

    def resolve(self, text: str, nlu: NluResult) -> NluResult:
        """Fill a follow-up from context: missing slots, or the last intent for a new slot."""
        words = tokens(text)
        short = len(words) <= MAX_FOLLOW_WORDS
        cued = short and bool(FOLLOW_CUES & set(words))
        if nlu.intent in ("out_of_scope", "smalltalk") and self.last_intent in FOLLOW_INTENTS \
                and short:
            found = self.slots.extract(text)
            wanted = set(self.pack.intents[self.last_intent].slots)
            if found and set(found) & wanted and (cued or len(words) <= 4):
                return NluResult(intent=self.last_intent, confidence=nlu.confidence,
                                 slots={k: v for k, v in found.items() if k in wanted},
                                 emotion=nlu.emotion, language=nlu.language)
        if nlu.intent in FOLLOW_INTENTS and cued:
            wanted = set(self.pack.intents[nlu.intent].slots)
            slots = dict(nlu.slots)
            for key in CARRY_SLOTS:
                if key in wanted and key not in slots and key in self.context.last_slots:
                    slots[key] = self.context.last_slots[key]
            return NluResult(intent=nlu.intent, confidence=nlu.confidence, slots=slots,
                             emotion=nlu.emotion, language=nlu.language)
        return nlu

    def turn(self, text: str, voice: VoiceFeatures | None = None) -> Turn:
        """Understand, answer and style one visitor utterance."""
        t0 = time.perf_counter()
        nlu = self.resolve(text, self.nlu.understand(text, voice))
        vec = None
        embed = getattr(self.nlu, "embed", None)
        if embed is not None:
            vec = embed(text)
        answer = self.qa.answer(text, nlu, self.context, query_vec=vec)
        style = choose_style(nlu.emotion, nlu.intent)
        if nlu.intent != "repeat":
            answer.text = rewrite(answer.text, style, nlu.intent)
        answer.style = style
        if nlu.intent not in ("repeat", "stop"):
            self.context.last_answer = answer.text
            for key in CARRY_SLOTS:
                if key in nlu.slots:
                    self.context.last_slots[key] = nlu.slots[key]
            self.last_intent = nlu.intent
        self.context.history.append((text, answer.text))
        del self.context.history[:-20]
        latency = (time.perf_counter() - t0) * 1000
        logger.debug("turn %r -> %s %s (%.1f ms)", text, nlu.intent, answer.source, latency)
        return Turn(text=text, nlu=nlu, answer=answer, prosody=prosody_for(style),
                    latency_ms=latency)
