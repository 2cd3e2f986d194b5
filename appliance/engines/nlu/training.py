"""Training data for the intent head, drawn from a site pack (never from its eval sets).

The pack's intent examples, FAQ questions and ``train/*.jsonl`` visitor lines.

Examples with ``{slot}`` placeholders are expanded with the pack's slot values
(names and synonyms, a fixed random choice so training is reproducible); FAQ
questions and their alternatives are added as examples of their intent. On top,
:func:`training_set` adds the kiosk's general out-of-scope sentences and noisy
(typo / ASR-style) copies of the in-scope examples.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from appliance.engines.nlu.augment import augment
from appliance.engines.nlu.oos_data import all_oos
from appliance.engines.nlu.text import normalize
from appliance.sitepack.model import SitePack

OOS = "out_of_scope"
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
    for tr in pack.translations.values():  # the pack's other languages (lang/<code>.yaml)
        for name, lines in tr.examples.items():
            texts += lines
            labels += [name] * len(lines)
    if with_faq:
        for entry in pack.faq:
            asked = [q for tr in pack.translations.values()
                     for q in (tr.faq[entry.id].questions if entry.id in tr.faq else [])]
            for text in [*entry.phrasings, *asked]:
                texts.append(text)
                labels.append(entry.intent)
    for row in pack.training_lines():
        texts.append(row["text"])
        labels.append(row["intent"])
    return texts, labels


def training_set(pack: SitePack, fix: Callable[[str], str] = normalize, *,
                 general_oos: list[str] | None = None, noisy_copies: int = 1,
                 seed: int = 11) -> tuple[list[str], list[str]]:
    """Normalised (texts, labels) for the intent head: the pack's examples and FAQ
    questions, general out-of-scope sentences (:mod:`oos_data`, unless given) and
    ``noisy_copies`` typo/ASR copies of each in-scope example, passed through ``fix``
    (the spell fixer the NLU applies to live input) so training sees what inference sees.
    """
    texts, labels = intent_examples(pack)
    texts = [normalize(t) for t in texts]
    oos = all_oos() if general_oos is None else general_oos
    texts += [normalize(t) for t in oos]
    labels += [OOS] * len(oos)
    extra, extra_labels = augment(texts, labels, copies=noisy_copies, seed=seed,
                                  skip=frozenset({OOS}))
    texts += [fix(t) for t in extra]
    labels += extra_labels
    return texts, labels
