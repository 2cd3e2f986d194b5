"""The suggested questions of the touch screen: a button per top intent of the site pack.

A pack names them with an optional ``suggest: {label, question}`` on each intent in
``intents.yaml``, in the order the buttons appear. A pack without any gets one per
service intent: the description's first words as the label and the first example
that needs no slot value as the question, so the screen is never without buttons.
"""

from __future__ import annotations

from appliance.sitepack.model import SitePack, Suggestion

MAX_SUGGESTIONS = 8
"""Buttons on the screen at most (two columns of four on a portrait screen)."""

NOT_SUGGESTED = frozenset({"greeting", "farewell", "thanks", "smalltalk", "repeat", "stop",
                           "out_of_scope", "emergency", "help_human"})
"""Intents that are never a button of their own in the fallback: conversation moves,
and danger (a visitor in danger types or speaks; a button would invite false alarms)."""


def suggestions(pack: SitePack, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """The pack's suggested questions, in order, at most ``limit``."""
    named = [i.suggest for i in pack.intents.values() if i.suggest is not None]
    if named:
        return named[:limit]
    out = []
    for intent in pack.intents.values():
        if intent.name in NOT_SUGGESTED:
            continue
        question = next((e for e in intent.examples if "{" not in e), "")
        if question:
            label = intent.description.rstrip(".").split(",")[0][:24].strip() or intent.name
            out.append(Suggestion(label, question[:1].upper() + question[1:]))
    return out[:limit]
