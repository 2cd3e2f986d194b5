"""Training data for the intent head, drawn from a site pack (never from the eval set).

Examples with ``{slot}`` placeholders are expanded with the pack's slot values
(names and synonyms, a fixed random choice so training is reproducible); FAQ
questions and their alternatives are added as examples of their intent.
"""

from __future__ import annotations

import random
import re

from appliance.sitepack.model import SitePack

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def expand(example: str, pack: SitePack, rng: random.Random, copies: int) -> list[str]:
    """``copies`` versions of ``example`` with each placeholder filled by a slot value."""
    if "{" not in example:
        return [example]
    out = []
    for _ in range(copies):
        def fill(m: re.Match[str]) -> str:
            values = pack.slots.get(m.group(1), [])
            if not values:
                return m.group(1)
            value = rng.choice(values)
            return rng.choice([value.name.split(" (")[0], *value.synonyms])
        out.append(PLACEHOLDER.sub(fill, example))
    return list(dict.fromkeys(out))


def intent_examples(pack: SitePack, *, copies: int = 3, seed: int = 7,
                    with_faq: bool = True) -> tuple[list[str], list[str]]:
    """(texts, intent labels) to train the intent head on."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for intent in pack.intents.values():
        for ex in intent.examples:
            for text in expand(ex, pack, rng, copies):
                texts.append(text)
                labels.append(intent.name)
    if with_faq:
        for entry in pack.faq:
            for text in entry.phrasings:
                texts.append(text)
                labels.append(entry.intent)
    return texts, labels
