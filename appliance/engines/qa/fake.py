"""A canned-answer QA for tests of other parts."""

from __future__ import annotations

from appliance.engines.nlu.base import NluResult
from appliance.engines.qa.base import Answer, DialogContext, QaEngine


class FakeQa(QaEngine):
    name = "fake-qa"

    def __init__(self, answers: dict[str, str] | None = None,
                 default: str = "Sorry, I don't know that one.") -> None:
        self.answers = answers or {}
        self.default = default
        self.contexts: list[DialogContext] = []

    def answer(self, text: str, nlu: NluResult, context: DialogContext) -> Answer:
        self.contexts.append(context)
        return Answer(self.answers.get(nlu.intent, self.default), source=f"fake:{nlu.intent}")
