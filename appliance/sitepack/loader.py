"""Read a site pack directory, checking everything and naming the file and line of each problem.

:func:`check_sitepack` returns the pack (or None) and every problem found;
:func:`load_sitepack` raises :class:`SitePackError` when any problem is an error.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from appliance.errors import KioskError
from appliance.sitepack import checks
from appliance.sitepack.consistency import check_consistency
from appliance.sitepack.dialog_lines import read_dialog
from appliance.sitepack.model import (
    REQUIRED_INTENTS,
    FaqEntry,
    FaqText,
    Fares,
    Feed,
    Intent,
    LineInfo,
    Manifest,
    Network,
    Problem,
    SitePack,
    SlotText,
    SlotValue,
    Style,
    Suggestion,
    Translation,
)
from appliance.sitepack.reader import IDENT, FileReader
from appliance.sitepack.screens import SCREEN_KINDS, missing_lines
from appliance.sitepack.templating import COMMON_FIELDS, allowed_fields, placeholders

logger = logging.getLogger(__name__)

DEFAULT_FILES = {"intents": "intents.yaml", "slots": "slots.yaml", "network": "network.yaml",
                 "faq": "faq.yaml", "templates": "templates.yaml"}
VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
MIN_EXAMPLES = 5


class SitePackError(KioskError):
    """A site pack has errors; ``problems`` lists each with file and line."""

    code = "sitepack-invalid"

    def __init__(self, root: Path, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"site pack {root} has {len(errors)} error(s): "
                         + "; ".join(str(p) for p in errors[:5]))
        self.problems = problems


def load_sitepack(root: Path | str) -> SitePack:
    """Load and validate a pack; raises :class:`SitePackError` on any error."""
    pack, problems = check_sitepack(root)
    for p in problems:
        if p.severity == "warning":
            logger.warning("site pack: %s", p)
    if pack is None:
        raise SitePackError(Path(root), problems)
    return pack


def read_manifest(root: Path | str) -> Manifest | None:
    """Only the pack's ``manifest.yaml`` (None when it cannot be read or has errors):
    for a process that needs the site's name or screen lines, not its models."""
    problems: list[Problem] = []
    manifest, _files = _manifest(FileReader(Path(root), "manifest.yaml", problems))
    if any(p.severity == "error" for p in problems):
        return None
    return manifest


def check_sitepack(root: Path | str) -> tuple[SitePack | None, list[Problem]]:
    """Validate every file of the pack; the pack is None when there is any error."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), 0, "not a directory")]
    mf = FileReader(root, "manifest.yaml", problems)
    manifest, files = _manifest(mf)
    slots_f = FileReader(root, files["slots"], problems)
    slots = _slots(slots_f)
    intents_f = FileReader(root, files["intents"], problems)
    intents = _intents(intents_f, slots)
    net_f = FileReader(root, files["network"], problems)
    network = _network(net_f, slots)
    faq_f = FileReader(root, files["faq"], problems)
    faq = _faq(faq_f, intents, root)
    tpl_f = FileReader(root, files["templates"], problems, required=False)
    templates = _templates(tpl_f, intents)
    lang_files: dict[str, FileReader] = {}
    translations = _translations(root, manifest.languages if manifest else [], intents, faq,
                                 problems, templates, files["templates"], slots=slots,
                                 readers=lang_files)
    if manifest is not None:
        if manifest.station and slots.get("station") is not None and not any(
                v.id == manifest.station for v in slots["station"]):
            mf.error(("station",), f"station '{manifest.station}' is not a value of the "
                     f"'station' slot in {files['slots']}")
        for name, rel in manifest.media.items():
            checks.check_media(root, rel, mf, ("media", name))
        for i, feed in enumerate(manifest.feeds):
            if feed.path:
                checks.check_feed(root, feed.path, problems, slots)
            elif not feed.url:
                mf.error(("feeds", i), "a feed needs a 'path' or a 'url'")
    if any(p.severity == "error" for p in problems) or manifest is None or network is None:
        return None, problems
    pack = SitePack(root=root, manifest=manifest, intents=intents, slots=slots,
                    network=network, faq=faq, templates=templates, translations=translations)
    # warnings: FAQ facts the network contradicts, in every language's FAQ answers
    check_consistency(pack, faq_f, net_f, lang_files)
    checks.check_training_lines(root, intents, problems)
    return pack, problems


def _manifest(f: FileReader) -> tuple[Manifest | None, dict[str, str]]:
    files = dict(DEFAULT_FILES)
    if not f.ok:
        return None, files
    m = f.mapping(f.data, (), "the manifest")
    f.unknown_keys(m, (), {"name", "title", "version", "format", "languages", "timezone",
                           "station", "currency", "operator", "staff_contact", "style",
                           "feeds", "files", "media", "screens", "sign_language"})
    name = f.text(m, (), "name")
    if name and not re.match(r"^[a-z0-9][a-z0-9-]*$", name):
        f.error(("name",), f"name '{name}' must be lower-case letters, digits and dashes")
    version = f.text(m, (), "version")
    if version and not VERSION.match(version):
        f.error(("version",), f"version '{version}' must look like 1.2 or 1.2.3")
    if m.get("format", 1) != 1:
        f.error(("format",), f"unsupported format {m.get('format')!r} (this kiosk reads 1)")
    languages = f.texts(m, (), "languages", required=True)
    if "languages" in m and not languages:
        f.error(("languages",), "list at least one language")
    for key, rel in f.mapping(m.get("files", {}), ("files",), "'files'").items():
        if key not in DEFAULT_FILES:
            f.warn(("files", key), f"unknown file role '{key}'")
        elif isinstance(rel, str) and rel:
            files[key] = rel
        else:
            f.error(("files", key), "must be a relative path")
    s = f.mapping(m.get("style", {}), ("style",), "'style'")
    repl = f.mapping(s.get("replacements", {}), ("style", "replacements"), "'replacements'")
    style = Style(
        persona=f.text(s, ("style",), "persona", required=False, default="station assistant"),
        formality=f.text(s, ("style",), "formality", required=False, default="polite"),
        address=f.text(s, ("style",), "address", required=False, default="passengers"),
        greeting=f.text(s, ("style",), "greeting", required=False, default="Good {daypart}"),
        opening=f.text(s, ("style",), "opening", required=False),
        closing=f.text(s, ("style",), "closing", required=False),
        replacements={str(k): str(v) for k, v in repl.items()},
    )
    if style.formality not in ("polite", "casual", "formal"):
        f.error(("style", "formality"), f"formality '{style.formality}' must be polite, "
                "casual or formal")
    feeds = []
    for i, item in enumerate(f.seq(m.get("feeds", []), ("feeds",), "'feeds'")):
        d = f.mapping(item, ("feeds", i), "a feed")
        feeds.append(Feed(name=f.text(d, ("feeds", i), "name"),
                          path=f.text(d, ("feeds", i), "path", required=False),
                          url=f.text(d, ("feeds", i), "url", required=False),
                          max_age_s=f.number(d, ("feeds", i), "max_age_s", default=300.0,
                                             minimum=1)))
    media = {str(k): str(v) for k, v in
             f.mapping(m.get("media", {}), ("media",), "'media'").items()}
    manifest = Manifest(
        name=name, title=f.text(m, (), "title", required=False, default=name),
        version=version, languages=languages, station=f.text(m, (), "station"),
        timezone=f.text(m, (), "timezone", required=False, default="UTC"),
        currency=f.text(m, (), "currency", required=False, default="GBP"),
        operator=f.text(m, (), "operator", required=False),
        staff_contact=f.text(m, (), "staff_contact", required=False,
                             default="a member of staff"),
        style=style, feeds=feeds, media=media, screens=_screens(f, m, languages),
        sign_language=_sign_language(f, m))
    return manifest, files


def sign_languages() -> list[str]:
    """The sign languages this kiosk can sign: the lexicon files shipped in
    ``appliance/sign/data/`` (read as package data; the sign room's code is above this one)."""
    data = resources.files("appliance").joinpath("sign").joinpath("data")
    return sorted(p.name.removesuffix(".yaml") for p in data.iterdir()
                  if p.name.endswith(".yaml"))


def _sign_language(f: FileReader, m: dict[str, Any]) -> str:
    """``sign_language:`` (optional): must name a lexicon the kiosk ships."""
    name = f.text(m, (), "sign_language", required=False).lower()
    known = sign_languages()
    if name and name not in known:
        f.error(("sign_language",), f"sign_language '{name}' has no lexicon in "
                f"appliance/sign/data/ (one of {', '.join(known) or 'none'})")
        return ""
    return name


def _screens(f: FileReader, m: dict[str, Any], languages: list[str]) -> dict[str, dict[str, str]]:
    """``screens:`` kind -> language -> line; warns where a language gets no line at all."""
    out: dict[str, dict[str, str]] = {}
    for kind, lines in f.mapping(m.get("screens", {}), ("screens",), "'screens'").items():
        path: tuple[Any, ...] = ("screens", kind)
        if kind not in SCREEN_KINDS:
            f.error(path, f"unknown screen '{kind}' (one of {', '.join(SCREEN_KINDS)})")
            continue
        out[str(kind)] = {}
        for lang, text in f.mapping(lines, path, f"'screens.{kind}'").items():
            if not isinstance(text, str) or not text.strip():
                f.error((*path, lang), "must be a line of text")
                continue
            if lang not in languages:
                f.warn((*path, lang), f"'{lang}' is not one of the pack's languages; not shown")
            out[str(kind)][str(lang)] = text.strip()
    for kind, lang in missing_lines(languages, out):
        f.warn(("languages",), f"no {kind} line for '{lang}' (add screens.{kind}.{lang}); "
               "the screen leaves that language out")
    return out


def _slots(f: FileReader) -> dict[str, list[SlotValue]]:
    out: dict[str, list[SlotValue]] = {}
    if not f.ok:
        return out
    top = f.mapping(f.data, (), "the slots file")
    types = f.mapping(top.get("slots"), ("slots",), "'slots'")
    owner: dict[str, tuple[str, str]] = {}
    for stype, values in types.items():
        path: tuple[Any, ...] = ("slots", stype)
        if not IDENT.match(str(stype)):
            f.error(path, f"slot type '{stype}' must be lower_snake_case")
        seen: set[str] = set()
        out[str(stype)] = []
        for i, item in enumerate(f.seq(values, path, f"slot type '{stype}'")):
            d = f.mapping(item, (*path, i), "a slot value")
            vid = f.text(d, (*path, i), "id")
            if vid in seen:
                f.error((*path, i, "id"), f"duplicate {stype} id '{vid}'")
            seen.add(vid)
            synonyms = f.texts(d, (*path, i), "synonyms")
            for j, syn in enumerate(synonyms):
                key = syn.lower()
                if key in owner and owner[key] != (str(stype), vid):
                    other = owner[key]
                    msg = f"synonym '{syn}' is also used by {other[0]} '{other[1]}'"
                    if other[0] == stype:
                        f.error((*path, i, "synonyms", j), msg)
                    else:
                        f.warn((*path, i, "synonyms", j), msg)
                owner[key] = (str(stype), vid)
            attrs = {k: v for k, v in d.items() if k not in ("id", "name", "synonyms")}
            out[str(stype)].append(SlotValue(id=vid, name=f.text(d, (*path, i), "name"),
                                             synonyms=synonyms, attrs=attrs))
    return out


def _intents(f: FileReader, slots: dict[str, list[SlotValue]]) -> dict[str, Intent]:
    out: dict[str, Intent] = {}
    if not f.ok:
        return out
    top = f.mapping(f.data, (), "the intents file")
    seen_examples: dict[str, str] = {}
    for i, item in enumerate(f.seq(top.get("intents"), ("intents",), "'intents'")):
        path: tuple[Any, ...] = ("intents", i)
        d = f.mapping(item, path, "an intent")
        f.unknown_keys(d, path, {"name", "description", "keywords", "examples", "slots",
                                 "suggest"})
        name = f.text(d, path, "name")
        if name and not IDENT.match(name):
            f.error((*path, "name"), f"intent name '{name}' must be lower_snake_case")
        if name in out:
            f.error((*path, "name"), f"intent '{name}' is defined twice")
        intent_slots = f.texts(d, path, "slots")
        for j, s in enumerate(intent_slots):
            if s not in slots:
                f.error((*path, "slots", j), f"intent '{name}' uses unknown slot type '{s}'")
        examples = f.texts(d, path, "examples", required=True)
        if name and len(examples) < MIN_EXAMPLES:
            f.error((*path, "examples"), f"intent '{name}' needs at least {MIN_EXAMPLES} "
                    f"examples to train on, has {len(examples)}")
        for j, ex in enumerate(examples):
            try:
                used = placeholders(ex)
            except ValueError as exc:
                f.error((*path, "examples", j), str(exc))
                continue
            for u in used:
                if u not in intent_slots:
                    f.error((*path, "examples", j), f"example uses {{{u}}} but intent "
                            f"'{name}' does not list slot '{u}'")
            norm = " ".join(ex.lower().split())
            if norm in seen_examples and seen_examples[norm] != name:
                f.error((*path, "examples", j), f"example '{ex}' is also an example of "
                        f"'{seen_examples[norm]}' (ambiguous training data)")
            seen_examples[norm] = name
        out[name] = Intent(name=name, description=f.text(d, path, "description", required=False),
                           examples=examples, keywords=f.texts(d, path, "keywords"),
                           slots=intent_slots, suggest=_suggestion(f, d, path))
    missing = [n for n in REQUIRED_INTENTS if n not in out]
    if missing:
        f.error(("intents",), "missing required intents: " + ", ".join(missing))
    return out


SUGGEST_LABEL_CHARS = 24
"""Longest suggestion label: it must fit a button on a portrait screen."""


def _suggestion(f: FileReader, d: dict[Any, Any], path: tuple[Any, ...]) -> Suggestion | None:
    """An intent's ``suggest: {label, question}`` (the touch screen's button), if any."""
    if "suggest" not in d:
        return None
    at = (*path, "suggest")
    s = f.mapping(d["suggest"], at, "'suggest'")
    if not s:
        return None
    f.unknown_keys(s, at, {"label", "question"})
    label, question = f.text(s, at, "label"), f.text(s, at, "question")
    if len(label) > SUGGEST_LABEL_CHARS:
        f.error((*at, "label"), f"suggestion label '{label}' is longer than "
                f"{SUGGEST_LABEL_CHARS} characters (it must fit a button)")
    if "{" in question:
        f.error((*at, "question"), "a suggested question is asked as written: no {slots}")
    return Suggestion(label, question) if label and question else None


def _network(f: FileReader, slots: dict[str, list[SlotValue]]) -> Network | None:
    if not f.ok:
        return None
    top = f.mapping(f.data, (), "the network file")
    line_ids = {v.id for v in slots.get("line", [])}
    station_ids = {v.id for v in slots.get("station", [])}
    lines = []
    for i, item in enumerate(f.seq(top.get("lines"), ("lines",), "'lines'")):
        path: tuple[Any, ...] = ("lines", i)
        d = f.mapping(item, path, "a line")
        lid = f.text(d, path, "line")
        if lid and lid not in line_ids:
            f.error((*path, "line"), f"line '{lid}' is not a value of the 'line' slot")
        stations = f.texts(d, path, "stations", required=True)
        for j, st in enumerate(stations):
            if st not in station_ids:
                f.error((*path, "stations", j), f"unknown station '{st}' (not a 'station' "
                        "slot value)")
        if len(set(stations)) != len(stations):
            f.error((*path, "stations"), f"line '{lid}' lists a station twice")
        times = {}
        for key in ("first_train", "last_train"):
            times[key] = f.text(d, path, key)
            if times[key] and not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", times[key]):
                f.error((*path, key), f"'{key}' must be HH:MM, got '{times[key]}'")
        lines.append(LineInfo(id=lid, colour=f.text(d, path, "colour", required=False),
                              headway_min=f.number(d, path, "headway_min", default=5, minimum=1),
                              first_train=times["first_train"], last_train=times["last_train"],
                              stations=stations))
    zones: dict[str, int] = {}
    for zone, members in f.mapping(top.get("zones"), ("zones",), "'zones'").items():
        if not isinstance(zone, int):
            f.error(("zones", zone), f"zone '{zone}' must be a number")
            continue
        for st in f.texts({"z": members}, ("zones", zone), "z"):
            zones[st] = zone
    for i, ln in enumerate(lines):
        for j, st in enumerate(ln.stations):
            if st not in zones:
                f.error(("lines", i, "stations", j), f"station '{st}' has no fare zone")
    fd = f.mapping(top.get("fares"), ("fares",), "'fares'")
    single: dict[int, float] = {}
    for k, v in f.mapping(fd.get("single_by_zones"), ("fares", "single_by_zones"),
                          "'single_by_zones'").items():
        if not isinstance(k, int) or isinstance(v, bool) or not isinstance(v, (int, float)):
            f.error(("fares", "single_by_zones", k), "expected zones: price (numbers)")
        else:
            single[k] = float(v)
    if zones and single:
        span = max(zones.values()) - min(zones.values()) + 1
        for n in range(1, span + 1):
            if n not in single:
                f.error(("fares", "single_by_zones"), f"no fare for journeys over {n} zone(s)")
    fares = Fares(single_by_zones=single,
                  card_discount=f.number(fd, ("fares",), "card_discount", default=0.0, minimum=0),
                  return_multiplier=f.number(fd, ("fares",), "return_multiplier", default=2.0),
                  concession_multiplier=f.number(fd, ("fares",), "concession_multiplier",
                                                 default=0.5),
                  day_pass=f.number(fd, ("fares",), "day_pass", default=0.0, minimum=0),
                  week_pass=f.number(fd, ("fares",), "week_pass", default=0.0, minimum=0))
    return Network(lines=lines, zones=zones, fares=fares,
                   minutes_per_stop=f.number(top, (), "minutes_per_stop", default=2.0, minimum=0),
                   transfer_minutes=f.number(top, (), "transfer_minutes", default=4.0, minimum=0))


def _faq(f: FileReader, intents: dict[str, Intent], root: Path) -> list[FaqEntry]:
    out: list[FaqEntry] = []
    if not f.ok:
        return out
    top = f.mapping(f.data, (), "the FAQ file")
    ids: set[str] = set()
    for i, item in enumerate(f.seq(top.get("faq"), ("faq",), "'faq'")):
        path: tuple[Any, ...] = ("faq", i)
        d = f.mapping(item, path, "an FAQ entry")
        f.unknown_keys(d, path, {"id", "intent", "question", "alternatives", "answer", "media"})
        fid = f.text(d, path, "id")
        if fid in ids:
            f.error((*path, "id"), f"duplicate FAQ id '{fid}'")
        ids.add(fid)
        intent = f.text(d, path, "intent")
        if intent and intents and intent not in intents:
            f.error((*path, "intent"), f"unknown intent '{intent}'")
        if intent == "out_of_scope":
            f.error((*path, "intent"), "FAQ entries cannot belong to out_of_scope")
        answer = f.text(d, path, "answer")
        try:
            bad = [p for p in placeholders(answer) if p not in COMMON_FIELDS]
        except ValueError as exc:
            bad = [str(exc)]
        if bad:
            f.error((*path, "answer"), f"answer uses unknown placeholder(s) {bad}; allowed: "
                    + ", ".join(sorted(COMMON_FIELDS)))
        media = f.texts(d, path, "media")
        for j, rel in enumerate(media):
            checks.check_media(root, rel, f, (*path, "media", j))
        out.append(FaqEntry(id=fid, intent=intent, question=f.text(d, path, "question"),
                            answer=answer, alternatives=f.texts(d, path, "alternatives"),
                            media=media))
    return out


def _translations(root: Path, languages: list[str], intents: dict[str, Intent],
                  faq: list[FaqEntry], problems: list[Problem],
                  first: dict[str, dict[str, str]] | None = None,
                  first_file: str = "templates.yaml", *,
                  slots: dict[str, list[SlotValue]] | None = None,
                  readers: dict[str, FileReader] | None = None) -> dict[str, Translation]:
    """``lang/<code>.yaml`` for each language after the first (optional; a language without
    one is understood and answered in the first language's words). A template case of the
    first language's (``first``) that a translation lacks is a warning: that language's
    visitors hear the case in the first language. ``readers`` gets each file read."""
    out: dict[str, Translation] = {}
    faq_ids = {e.id for e in faq}
    for lang in languages[1:]:
        f = FileReader(root, f"lang/{lang}.yaml", problems, required=False)
        if not f.ok:
            continue
        top = f.mapping(f.data, (), "a translation file")
        f.unknown_keys(top, (), {"intents", "templates", "faq", "dialog", "slots"})
        if readers is not None:
            readers[lang] = f
        examples: dict[str, list[str]] = {}
        for intent in f.mapping(top.get("intents", {}), ("intents",), "'intents'"):
            if intent not in intents:
                f.error(("intents", intent), f"examples for unknown intent '{intent}'")
                continue
            examples[str(intent)] = f.texts(top["intents"], ("intents",), intent)
        texts: dict[str, FaqText] = {}
        for fid, item in f.mapping(top.get("faq", {}), ("faq",), "'faq'").items():
            path: tuple[Any, ...] = ("faq", fid)
            if fid not in faq_ids:
                f.error(path, f"translation of unknown FAQ id '{fid}'")
                continue
            d = f.mapping(item, path, "a translated FAQ entry")
            f.unknown_keys(d, path, {"answer", "questions"})
            texts[str(fid)] = FaqText(answer=f.text(d, path, "answer"),
                                      questions=f.texts(d, path, "questions"))
        templates = _templates(f, intents) if "templates" in top else {}
        out[lang] = Translation(language=lang, examples=examples, faq=texts,
                                templates=templates,
                                dialog=read_dialog(f, top["dialog"]) if "dialog" in top else {},
                                slots=_slot_texts(f, top, slots or {}))
        for intent, cases in (first or {}).items():
            for case in cases:
                if case not in templates.get(intent, {}):
                    where = ("templates", intent) if intent in templates else ("templates",)
                    f.warn(where, f"template {intent}.{case} of {first_file} is not in "
                           f"lang/{lang}.yaml: '{lang}' visitors hear it in the first language")
    return out


def _slot_texts(f: FileReader, top: dict[Any, Any],
                slots: dict[str, list[SlotValue]]) -> dict[str, dict[str, SlotText]]:
    """A translation's ``slots:``: slot type -> value id -> the name its answers say (text,
    or ``{name, synonyms}``) and what its visitors call the value. A synonym that names
    another value of the same slot (in any language) is an error, of another slot a
    warning, as in the slots file."""
    out: dict[str, dict[str, SlotText]] = {}
    if "slots" not in top:
        return out
    owner = {form.lower(): (stype, v.id) for stype, values in slots.items() for v in values
             for form in v.synonyms}
    for stype, values in f.mapping(top["slots"], ("slots",), "'slots'").items():
        path: tuple[Any, ...] = ("slots", stype)
        if stype not in slots:
            f.error(path, f"translation of unknown slot type '{stype}'")
            continue
        known = {v.id for v in slots[stype]}
        out[str(stype)] = {}
        for vid, item in f.mapping(values, path, f"slot type '{stype}'").items():
            at = (*path, vid)
            if vid not in known:
                f.error(at, f"translation of unknown {stype} value '{vid}'")
                continue
            if isinstance(item, str):
                said = SlotText(name=item.strip())
            else:
                d = f.mapping(item, at, "a translated slot value")
                f.unknown_keys(d, at, {"name", "synonyms"})
                said = SlotText(name=f.text(d, at, "name", required=False),
                                synonyms=f.texts(d, at, "synonyms"))
            for j, syn in enumerate(said.synonyms):
                other = owner.get(syn.lower())
                if other is not None and other != (stype, vid):
                    msg = f"synonym '{syn}' is also used by {other[0]} '{other[1]}'"
                    (f.error if other[0] == stype else f.warn)((*at, "synonyms", j), msg)
                owner[syn.lower()] = (str(stype), str(vid))
            out[str(stype)][str(vid)] = said
    return out


def _templates(f: FileReader, intents: dict[str, Intent]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if not f.ok:
        return out
    top = f.mapping(f.data, (), "the templates file")
    for intent, cases in f.mapping(top.get("templates"), ("templates",), "'templates'").items():
        path: tuple[Any, ...] = ("templates", intent)
        if intents and intent not in intents:
            f.error(path, f"template for unknown intent '{intent}'")
            continue
        out[str(intent)] = {}
        for case, text in f.mapping(cases, path, f"templates of '{intent}'").items():
            allowed = allowed_fields(str(intent), str(case))
            if allowed is None:
                f.error((*path, case), f"'{intent}' has no template case '{case}'")
                continue
            if not isinstance(text, str) or not text.strip():
                f.error((*path, case), "a template must be non-empty text")
                continue
            try:
                bad = [p for p in placeholders(text) if p not in allowed]
            except ValueError as exc:
                f.error((*path, case), str(exc))
                continue
            if bad:
                f.error((*path, case), f"unknown placeholder(s) {bad} for {intent}.{case}; "
                        "allowed: " + ", ".join(sorted(allowed)))
            out[str(intent)][str(case)] = text
    return out
