"""Answer templates: which cases exist, which placeholders each may use, and rendering.

A site pack's ``templates.yaml`` overrides these built-in defaults case by case, so a
pack only needs to write what it wants to say differently. The validator uses the
same table to reject unknown cases and placeholders.
"""

from __future__ import annotations

import string
from typing import Any

COMMON_FIELDS = frozenset({"here", "daypart", "time", "operator", "staff_contact"})
"""Placeholders every template may use."""

# intent -> case -> (extra placeholders, built-in text)
TEMPLATE_CASES: dict[str, dict[str, tuple[frozenset[str], str]]] = {
    "greeting": {"default": (frozenset(), "Hello! How can I help you?")},
    "farewell": {"default": (frozenset(), "Goodbye, and have a safe journey!")},
    "thanks": {"default": (frozenset(), "You're welcome!")},
    "smalltalk": {"default": (frozenset(), "I'm the assistant at {here}. How can I help?")},
    "stop": {"default": (frozenset(), "Okay.")},
    "repeat": {"nothing": (frozenset(), "I haven't said anything yet. How can I help you?")},
    "help_human": {"default": (frozenset(), "I've asked a member of staff to come and help you.")},
    "emergency": {"default": (frozenset(), "I'm alerting staff right now. Help is on its way.")},
    "out_of_scope": {
        "default": (frozenset(), "Sorry, I can't help with that. Shall I call a member of staff?"),
        "unsure": (frozenset(), "I'm not sure about that. Shall I call a member of staff?"),
    },
    "next_train": {
        "default": (frozenset({"line_name", "destination", "platform", "due", "due_next"}),
                    "The next {line_name} train towards {destination} leaves from platform "
                    "{platform} {due}, and the one after {due_next}."),
        "single": (frozenset({"line_name", "destination", "platform", "due"}),
                   "The next {line_name} train towards {destination} leaves from platform "
                   "{platform} {due}."),
        "overview": (frozenset({"departures"}), "Next departures: {departures}."),
        "no_data": (frozenset({"line_name", "headway_min"}),
                    "I don't have live times right now. {line_name} trains run about every "
                    "{headway_min} minutes."),
        "stale": (frozenset(), "I don't have current train times right now. Please check "
                  "the departure screens."),
    },
    "service_status": {
        "default": (frozenset({"notices"}), "{notices}"),
        "line_good": (frozenset({"line_name"}), "{line_name} is running normally."),
        "all_good": (frozenset(), "All lines are running normally."),
        "line_notice": (frozenset({"notices", "line_name"}), "{notices}"),
        "stale": (frozenset(), "I don't have current service information right now. Please "
                  "check the screens in the station."),
    },
    "route_planning": {
        "default": (frozenset({"station_name", "route", "stops", "minutes"}),
                    "To get to {station_name}, {route}. That's {stops} stops, about {minutes} "
                    "minutes."),
        "direct": (frozenset({"station_name", "line_name", "direction", "stops", "minutes"}),
                   "To get to {station_name}, take {line_name} towards {direction}. That's "
                   "{stops} stops, about {minutes} minutes."),
        "here": (frozenset(), "You're already at {here}."),
        "no_station": (frozenset(), "Where would you like to go?"),
        "disrupted": (frozenset({"notices"}), "Note: {notices}"),
    },
    "fare_inquiry": {
        "default": (frozenset({"station_name", "single_price", "card_price"}),
                    "A single ticket to {station_name} costs {single_price}, or {card_price} "
                    "by card."),
        "ticket": (frozenset({"ticket_name", "ticket_price"}), "A {ticket_name} costs "
                   "{ticket_price}."),
        "no_station": (frozenset({"min_fare", "day_pass"}),
                       "Single tickets start at {min_fare}; a day pass is {day_pass}."),
    },
    "ticket_purchase": {
        "default": (frozenset({"station_name", "single_price", "card_price"}),
                    "You can buy a ticket to {station_name} at the ticket machines; it costs "
                    "{single_price}."),
    },
    "find_exit": {
        "default": (frozenset({"exit_name", "exit_directions"}), "{exit_name} is "
                    "{exit_directions}."),
    },
    "find_elevator": {"outage": (frozenset({"notices"}), "{notices}")},
}


def placeholders(text: str) -> list[str]:
    """The ``{names}`` used in a template (raises ValueError on a malformed one)."""
    names = []
    for _, name, spec, conv in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            raise ValueError(f"malformed placeholder {{{name}}}")
        names.append(name)
    return names


def allowed_fields(intent: str, case: str) -> frozenset[str] | None:
    """Placeholders ``intent``/``case`` may use, or None for an unknown case."""
    cases = TEMPLATE_CASES.get(intent)
    if cases is None or case not in cases:
        return None
    return cases[case][0] | COMMON_FIELDS


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def render(templates: dict[str, dict[str, str]], intent: str, case: str,
           values: dict[str, Any]) -> str:
    """Fill the site's template (or the built-in one) for ``intent``/``case``."""
    text = templates.get(intent, {}).get(case)
    if text is None:
        text = TEMPLATE_CASES.get(intent, {}).get(case, (frozenset(), ""))[1]
    out = text.format_map(_Blank({k: v for k, v in values.items() if v is not None}))
    return " ".join(out.split())
