"""A rule-table NLU for tests of other parts: first matching keyword wins."""

from __future__ import annotations

from appliance.engines.nlu.base import NluEngine, NluResult, VoiceFeatures


class FakeNlu(NluEngine):
    name = "fake-nlu"

    def __init__(self, rules: dict[str, str] | None = None) -> None:
        self.rules = rules or {"toilet": "find_toilet", "hello": "greeting", "train": "next_train"}
        self.seen: list[str] = []

    def understand(self, text: str, voice: VoiceFeatures | None = None) -> NluResult:
        self.seen.append(text)
        low = text.lower()
        for word, intent in self.rules.items():
            if word in low:
                return NluResult(intent, 0.9)
        return NluResult("out_of_scope", 0.2)
