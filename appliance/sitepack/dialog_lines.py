"""The ``dialog:`` table of ``lang/<code>.yaml``: the dialogue's own fixed lines in that language.

The kiosk's questions and safety lines (the danger question, the alert and each kind of
danger's safe instruction, the station clarification, the offer of staff) are not answers
to an intent, so they are not templates. A pack may word them in each of its other
languages; each key takes only the placeholders listed here, checked at file:line.
"""

from __future__ import annotations

import string
from typing import Any

from appliance.sitepack.model import SAFETY_CATEGORIES
from appliance.sitepack.reader import FileReader

DIALOG_KEYS: dict[str, frozenset[str]] = {
    "confirm": frozenset(),          # "Is someone in danger right now? Say yes and ..."
    "stood_down": frozenset(),       # after a "no" to the danger question
    "calling": frozenset(),          # the alert's first sentence: staff are being called
    "offer_staff": frozenset(),      # the intent head heard an emergency: offer, never alarm
    "declined": frozenset(),         # the offer of staff turned down
    "never_mind": frozenset(),
    "unknown_stop": frozenset({"place"}),
    "did_you_mean": frozenset({"station"}),
    "already_here": frozenset({"station"}),  # "which exit for <this station>?"
    "network": frozenset({"lines", "stations", "examples"}),
    "which_station": frozenset(),
    "apology": frozenset(),          # the answering engine failed: ask staff
}
"""Key -> the placeholders its line may use. ``safe: {<category>: ...}`` holds the safe
instruction said after ``calling`` for each safety category (keys ``safe.<category>``)."""


def read_dialog(f: FileReader, value: Any) -> dict[str, str]:
    """The ``dialog:`` mapping as key -> line (``safe.<category>`` for instructions);
    a wrong key, a non-text line or an unknown placeholder is an error at its line."""
    out: dict[str, str] = {}
    table = f.mapping(value, ("dialog",), "'dialog'")
    for key in table:
        path: tuple[Any, ...] = ("dialog", key)
        if key == "safe":
            safe = f.mapping(table["safe"], path, "'dialog.safe'")
            for category in safe:
                if category not in SAFETY_CATEGORIES:
                    f.error((*path, category), f"safe instruction for unknown safety category "
                            f"'{category}'; known: " + ", ".join(SAFETY_CATEGORIES))
                    continue
                line = _line(f, safe, path, str(category), frozenset())
                if line:
                    out[f"safe.{category}"] = line
            continue
        if key not in DIALOG_KEYS:
            f.error(path, f"unknown dialogue line '{key}'; known: "
                    + ", ".join(sorted([*DIALOG_KEYS, "safe"])))
            continue
        line = _line(f, table, ("dialog",), str(key), DIALOG_KEYS[key])
        if line:
            out[str(key)] = line
    return out


def _line(f: FileReader, obj: dict[Any, Any], path: tuple[Any, ...], key: str,
          allowed: frozenset[str]) -> str:
    line = f.text(obj, path, key)
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(line) if name is not None}
    except ValueError as exc:
        f.error((*path, key), f"'{key}': bad placeholder ({exc})")
        return ""
    wrong = names - allowed
    if wrong:
        f.error((*path, key), f"'{key}' uses unknown placeholder(s) "
                + ", ".join("{" + n + "}" for n in sorted(wrong))
                + (f"; it may use: {', '.join('{' + a + '}' for a in sorted(allowed))}"
                   if allowed else "; it takes none"))
        return ""
    return line
