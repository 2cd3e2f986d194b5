"""What the kiosk says when someone may be in danger: the question, the alert, the way out.

Every line tells the visitor what is happening (staff are being called) and gives only
safe instructions: move away from smoke or an unattended item, never touch it, never
go down to the tracks. Each line is said in the visitor's language (see
:mod:`appliance.behavior.lines`: built-in English and Spanish, the pack's ``dialog:``
lines). A site pack can also override any line with a template ``emergency.<category>``
(or ``emergency.confirm``, ``emergency.stood_down``) in that language's templates.
"""

from __future__ import annotations

from appliance.behavior import lines
from appliance.sitepack.model import SAFETY_CATEGORIES, SitePack

CONFIRM = lines.BUILT_IN["en"]["confirm"]
STOOD_DOWN = lines.BUILT_IN["en"]["stood_down"]
CALLING = lines.BUILT_IN["en"]["calling"]
INSTRUCTIONS = {c: lines.BUILT_IN["en"][f"safe.{c}"] for c in SAFETY_CATEGORIES}
"""The English safe instruction per safety category."""


def _template(pack: SitePack | None, case: str, language: str) -> str:
    """The pack's ``emergency.<case>`` template written in ``language`` ("" if none): the
    first language's templates, or the translation's own (never the English one in
    Spanish)."""
    if pack is None:
        return ""
    lang = lines.reply_language(pack, language)
    if lang == pack.language:
        templates = pack.templates
    else:
        tr = pack.translations.get(lang)
        templates = tr.templates if tr is not None else {}
    cases = templates.get("emergency", {})
    return str(cases.get(case, "")) if isinstance(cases, dict) else ""


def confirm_line(pack: SitePack | None, language: str = "en") -> str:
    """The one short question asked before calling staff on a doubtful danger."""
    return _template(pack, "confirm", language) or lines.line(pack, language, "confirm")


def stood_down_line(pack: SitePack | None, language: str = "en") -> str:
    """What the kiosk says when the visitor says nobody is in danger."""
    return _template(pack, "stood_down", language) or lines.line(pack, language, "stood_down")


def alert_line(pack: SitePack | None, category: str, language: str = "en") -> str:
    """The alert: staff are called, plus the safe thing to do for this kind of danger."""
    line = _template(pack, category, language)
    if line:
        return line
    if category not in SAFETY_CATEGORIES:
        category = "cry_for_help"
    return (f"{lines.line(pack, language, 'calling')} "
            f"{lines.line(pack, language, f'safe.{category}')}")
