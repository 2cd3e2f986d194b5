"""The parsed, validated content of a site pack (plain frozen-ish dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.sitepack.screens import ScreenLines

REQUIRED_INTENTS = (
    "greeting", "farewell", "thanks", "help_human", "emergency", "repeat", "stop", "out_of_scope",
)
"""Intents the kiosk's dialogue and behaviour rely on: every site pack must define them."""

SAFETY_CATEGORIES = ("threat_violence", "medical", "fire_smoke", "trapped_or_track",
                     "suspicious_item", "lost_child", "harassment", "self_harm", "cry_for_help")
"""What a danger can be: the ``category`` of a ``safety: danger`` training line, and the
classes of the safety engines (``none`` is their safe class)."""


@dataclass
class Problem:
    """One thing wrong with a site pack, at ``file:line``."""

    file: str
    line: int
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "severity": self.severity,
                "message": self.message}


@dataclass
class Style:
    """How the site talks: used by announcements and reply rewriting."""

    persona: str = "station assistant"
    formality: str = "polite"
    address: str = "passengers"
    greeting: str = "Good {daypart}"
    opening: str = ""
    closing: str = ""
    replacements: dict[str, str] = field(default_factory=dict)


@dataclass
class Feed:
    """A live-data feed: a JSON file in the pack (``path``) or a ``url`` the site serves."""

    name: str
    path: str = ""
    url: str = ""
    max_age_s: float = 300.0


@dataclass
class Manifest:
    name: str
    title: str
    version: str
    languages: list[str]
    station: str
    timezone: str = "UTC"
    currency: str = "GBP"
    operator: str = ""
    staff_contact: str = "a member of staff"
    style: Style = field(default_factory=Style)
    feeds: list[Feed] = field(default_factory=list)
    media: dict[str, str] = field(default_factory=dict)
    screens: dict[str, dict[str, str]] = field(default_factory=dict)
    """The pack's own screen lines, kind -> language -> text (``screens:``; see
    :mod:`appliance.sitepack.screens` for the kinds and the built-in defaults)."""
    sign_language: str = ""
    """The sign language the avatar signs replies in (``sign_language:``, a lexicon in
    ``appliance/sign/data/``, e.g. ``asl``); empty: the kiosk does not sign."""

    def screen_lines(self) -> ScreenLines:
        """What the attract, out-of-service and starting screens say, in this pack's
        languages (its own lines, else the built-in ones)."""
        return ScreenLines.for_languages(self.languages, self.screens)


@dataclass(frozen=True)
class Suggestion:
    """A suggested question on the touch screen: a short button ``label`` and the
    ``question`` a touch asks (an intent's optional ``suggest:`` key)."""

    label: str
    question: str


@dataclass
class Intent:
    name: str
    description: str = ""
    examples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    slots: list[str] = field(default_factory=list)
    suggest: Suggestion | None = None
    """The touch screen's button for this intent, if the pack offers one."""


@dataclass
class SlotValue:
    id: str
    name: str
    synonyms: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class LineInfo:
    id: str
    colour: str
    headway_min: float
    first_train: str
    last_train: str
    stations: list[str]


@dataclass
class Fares:
    single_by_zones: dict[int, float]
    card_discount: float = 0.0
    return_multiplier: float = 2.0
    concession_multiplier: float = 0.5
    day_pass: float = 0.0
    week_pass: float = 0.0


@dataclass
class Network:
    lines: list[LineInfo]
    zones: dict[str, int]
    fares: Fares
    minutes_per_stop: float = 2.0
    transfer_minutes: float = 4.0

    def line(self, line_id: str) -> LineInfo | None:
        return next((ln for ln in self.lines if ln.id == line_id), None)


@dataclass
class FaqEntry:
    id: str
    intent: str
    question: str
    answer: str
    alternatives: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)

    @property
    def phrasings(self) -> list[str]:
        return [self.question, *self.alternatives]


@dataclass
class FaqText:
    """One FAQ entry in another language: how visitors ask it and what the kiosk says."""

    answer: str = ""
    questions: list[str] = field(default_factory=list)


@dataclass
class SlotText:
    """One slot value in another language: the ``name`` answers say (empty: the first
    language's) and the ``synonyms`` visitors say for it in that language."""

    name: str = ""
    synonyms: list[str] = field(default_factory=list)


@dataclass
class Translation:
    """The pack in one more of its languages (``lang/<code>.yaml``).

    ``examples``: intent -> visitors' phrasings in this language (they train the intent
    head with the first language's); ``templates``: intent -> case -> text, as
    ``templates.yaml``; ``faq``: FAQ id -> :class:`FaqText`. Whatever a translation leaves
    out is said in the pack's first language; ``dialog``: the dialogue's fixed lines.
    """

    language: str
    examples: dict[str, list[str]] = field(default_factory=dict)
    templates: dict[str, dict[str, str]] = field(default_factory=dict)
    faq: dict[str, FaqText] = field(default_factory=dict)
    dialog: dict[str, str] = field(default_factory=dict)
    """The dialogue's own lines in this language (``dialog:``; see
    :mod:`appliance.sitepack.dialog_lines`)."""
    slots: dict[str, dict[str, SlotText]] = field(default_factory=dict)
    """Slot type -> value id -> its name and synonyms in this language (``slots:``)."""


@dataclass
class SitePack:
    """Everything one kiosk serves."""

    root: Path
    manifest: Manifest
    intents: dict[str, Intent]
    slots: dict[str, list[SlotValue]]
    network: Network
    faq: list[FaqEntry]
    templates: dict[str, dict[str, str]]
    translations: dict[str, Translation] = field(default_factory=dict)
    """Language -> the pack's text in it, for each language after the first that has a
    ``lang/<code>.yaml`` (the first language is the pack's own files)."""

    @property
    def language(self) -> str:
        """The pack's first language: the one its own files are written in."""
        return self.manifest.languages[0] if self.manifest.languages else "en"

    def templates_for(self, language: str) -> dict[str, dict[str, str]]:
        """Answer templates in ``language``: its translated cases over the first language's."""
        tr = self.translations.get(language)
        if tr is None:
            return self.templates
        return {intent: {**cases, **tr.templates.get(intent, {})}
                for intent, cases in {**{k: {} for k in tr.templates}, **self.templates}.items()}

    def slot_value(self, slot_type: str, value_id: str) -> SlotValue | None:
        return next((v for v in self.slots.get(slot_type, []) if v.id == value_id), None)

    def slot_name(self, slot_type: str, value_id: str, language: str = "") -> str:
        """The value's name, in ``language`` where its translation names it ("bono
        diario"), else the first language's ("day pass")."""
        tr = self.translations.get(language) if language else None
        said = tr.slots.get(slot_type, {}).get(value_id) if tr is not None else None
        if said is not None and said.name:
            return said.name
        value = self.slot_value(slot_type, value_id)
        return value.name if value else value_id.replace("_", " ")

    def slot_forms(self, slot_type: str, value: SlotValue) -> list[str]:
        """Every way a visitor names ``value``: its name and synonyms, then its name and
        synonyms in each of the pack's other languages ("day pass", "bono diario")."""
        forms = [value.name, *value.synonyms]
        for tr in self.translations.values():
            said = tr.slots.get(slot_type, {}).get(value.id)
            if said is not None:
                forms += [said.name, *said.synonyms] if said.name else said.synonyms
        return forms

    def faq_entry(self, faq_id: str) -> FaqEntry | None:
        return next((e for e in self.faq if e.id == faq_id), None)

    def fingerprint(self) -> str:
        """A hash of every file the models train on (keys the cached heads)."""
        import hashlib

        digest = hashlib.sha256()
        for path in [*sorted(self.root.glob("*.yaml")), *sorted(self.root.glob("lang/*.yaml")),
                     *sorted(self.root.glob("train/*.jsonl"))]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def training_lines(self) -> list[dict[str, str]]:
        """Rows of the pack's ``train/*.jsonl``: visitors' phrasings labelled with
        ``intent`` and ``safety`` (``none``/``danger``) and, for danger, ``category``.

        A site adds lines here as it learns how its visitors talk; the evaluation sets
        under ``eval/`` are never read for training. Bad lines are skipped (the pack
        checker reports them).
        """
        from appliance.sitepack.jsonl import read_rows

        rows: list[dict[str, str]] = []
        for path in sorted(self.root.glob("train/*.jsonl")):
            rows += [{k: str(v) for k, v in row.items()} for row in read_rows(path)
                     if row.get("intent") in self.intents]
        return rows
