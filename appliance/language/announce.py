"""Announcements: a spoken script from a structured notice, in five steps.

1. **gather**  - pull the facts out of the notice, resolving ids to spoken names;
2. **order**   - put them in the order a listener needs: what, effect, why, when,
   where it applies, what to do instead, advice;
3. **link**    - join neighbouring facts with connectives (because, as a result,
   until, instead);
4. **smooth**  - make fluent sentences: lists with "and", times said aloud, no
   repeated line name, capitals and full stops;
5. **rewrite** - in the site's style: its own words, opening and closing lines,
   formality and how it addresses people.

``make_script(notice, pack)`` returns the text; ``make_script_steps`` every step
(for ``--json`` and tests). ``kiosk announce notice.json`` speaks the script.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from appliance.errors import InputError
from appliance.sitepack.model import SitePack

ORDER = ("headline", "effect", "cause", "time", "affected", "alternatives", "advice")
KINDS = {"disruption": "there is disruption on", "planned_closure": "there are planned works on",
         "schedule_change": "there is a timetable change on", "info": "an update about"}


def load_notice(path: Path) -> dict[str, Any]:
    """Read a notice JSON file; raises InputError with the reason."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read notice {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or not (data.get("effect") or data.get("text")):
        raise InputError(f"{path}: a notice needs at least an 'effect' (or a 'text')")
    return data


def _name(pack: SitePack, slot: str, value: str) -> str:
    return pack.slot_name(slot, value) if value else ""


def _short_line(pack: SitePack, line: str) -> str:
    return _name(pack, "line", line).split(" (")[0]


def _listing(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _time(text: str) -> str:
    """'10:00' -> '10 am', '22:00' -> '10 pm', '05:30' -> '5:30 am', other text kept."""
    def spoken(m: re.Match[str]) -> str:
        h, mnt = int(m.group(1)), int(m.group(2))
        suffix = "am" if h < 12 else "pm"
        h12 = h % 12 or 12
        return f"{h12} {suffix}" if mnt == 0 else f"{h12}:{mnt:02d} {suffix}"
    return re.sub(r"\b([01]?\d|2[0-3]):([0-5]\d)\b", spoken, text)


def gather(notice: dict[str, Any], pack: SitePack) -> dict[str, str]:
    """Step 1: the facts, as spoken phrases keyed by role."""
    line = _short_line(pack, str(notice.get("line", "")))
    where = _name(pack, "station", str(notice.get("location", "")))
    kind = KINDS.get(str(notice.get("kind", "info")), "an update about")
    facts = {"headline": f"{kind} {line}".strip() if line else str(notice.get("text", "")),
             "location": where,
             "effect": str(notice.get("effect", "")),
             "cause": str(notice.get("cause", "")),
             "starts": _time(str(notice.get("starts", ""))),
             "ends": _time(str(notice.get("expected_end", ""))),
             "affected": _listing([_name(pack, "station", s)
                                   for s in notice.get("affected", []) or []]),
             "alternatives": _listing([str(a) for a in notice.get("alternatives", []) or []]),
             "advice": str(notice.get("advice", ""))}
    return {k: v for k, v in facts.items() if v}


def order(facts: dict[str, str]) -> list[tuple[str, str]]:
    """Step 2: (role, phrase) in the order a listener needs them."""
    merged = dict(facts)
    if "location" in merged and "headline" in merged:
        merged["headline"] += f" near {merged.pop('location')}"
    if "starts" in merged or "ends" in merged:
        start, end = merged.pop("starts", ""), merged.pop("ends", "")
        merged["time"] = f"from {start} until {end}" if start and end else \
            f"from {start}" if start else f"until {end}"
    return [(role, merged[role]) for role in ORDER if role in merged]


def link(ordered: list[tuple[str, str]]) -> list[str]:
    """Step 3: clauses joined with connectives."""
    clauses: list[str] = []
    roles = dict(ordered)
    for role, text in ordered:
        if role == "headline":
            clauses.append(text)
        elif role == "effect":
            clauses.append(f"As a result, there are {text}")
        elif role == "cause":
            clauses.append(f"This is because of {text}")
        elif role == "time":
            clauses.append(f"This is expected to last {text}" if "until" in text else
                           f"This applies {text}")
        elif role == "affected":
            clauses.append(f"Stations affected are {text}")
        elif role == "alternatives":
            clauses.append(f"Instead, you can use {text}")
        elif role == "advice":
            clauses.append(f"Please {text}" if "effect" in roles else text)
    return clauses


def smooth(clauses: list[str]) -> str:
    """Step 4: fluent sentences (merge the cause into the headline, capitals, stops)."""
    out: list[str] = []
    for clause in clauses:
        if clause.startswith("This is because of ") and out:
            out[-1] = out[-1].rstrip(".") + ", because of " + clause[len("This is because of "):]
            continue
        out.append(clause)
    sentences = []
    for s in out:
        s = " ".join(s.split())
        s = s[:1].upper() + s[1:]
        sentences.append(s if s.endswith((".", "!", "?")) else s + ".")
    return " ".join(sentences)


def rewrite(text: str, pack: SitePack) -> str:
    """Step 5: the site's words, opening, closing and formality."""
    style = pack.manifest.style
    for generic, own in style.replacements.items():
        text = re.sub(rf"\b{re.escape(generic)}\b", own, text, flags=re.IGNORECASE)
    if style.formality == "casual":
        text = text.replace("As a result, there are", "So there are")
    elif style.formality == "formal":
        text = text.replace("Please ", "Passengers are kindly requested to ")
    parts = [style.opening, text, style.closing]
    return " ".join(p.strip() for p in parts if p.strip())


def make_script_steps(notice: dict[str, Any], pack: SitePack) -> dict[str, Any]:
    """Every step's output, the last being the ``script``."""
    facts = gather(notice, pack)
    ordered = order(facts)
    clauses = link(ordered)
    smoothed = smooth(clauses)
    return {"gather": facts, "order": ordered, "link": clauses, "smooth": smoothed,
            "script": rewrite(smoothed, pack)}


def make_script(notice: dict[str, Any], pack: SitePack) -> str:
    """The spoken script for a notice, in the site's style."""
    return str(make_script_steps(notice, pack)["script"])
