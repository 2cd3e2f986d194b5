"""Answering: a reply for an understood request, from the site's knowledge."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from appliance.engines.nlu.base import NluResult
from appliance.frames import Show


@dataclass
class Answer:
    text: str
    source: str = ""
    media: list[str] = field(default_factory=list)
    style: str = "neutral"
    fit: float = 1.0
    """How well the answer fits the question (the retrieval score of an FAQ answer; 1.0
    for an answer computed from the network or live data with every slot it needs)."""
    show: Show | None = None
    """What to draw: the route on the network map or a place on the station plan."""
    asks: str = ""
    """The slot the answer ends by asking for ("station": "... Where are you going?"): the
    dialogue takes the visitor's next words as the answer to it."""


@dataclass
class DialogContext:
    """What the conversation so far contributes to the next answer."""

    last_answer: str = ""
    last_slots: dict[str, str] = field(default_factory=dict)
    history: list[tuple[str, str]] = field(default_factory=list)  # (visitor, avatar as heard)


class QaEngine(ABC):
    name: str = "qa"

    @abstractmethod
    def answer(self, text: str, nlu: NluResult, context: DialogContext) -> Answer:
        """Answer one request; never raises for unknown questions (it says so)."""
