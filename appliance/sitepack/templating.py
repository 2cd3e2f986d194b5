"""Answer templates: which cases exist, which placeholders each may use, and rendering.

A site pack's ``templates.yaml`` overrides these built-in defaults case by case, so a
pack only needs to write what it wants to say differently. The validator uses the
same table to reject unknown cases and placeholders.

A count placeholder may carry the words that agree with it: ``{stops:# stop|# stops}``
says "1 stop" or "3 stops" (the first form for a count of one, the second for any other;
``#`` is the number), and a language puts its own words and word order there
(``{stops:Es # parada|Son # paradas}``). A plain ``{stops}`` is still the bare number.
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
        # {departures} above, each train (joined by "; "; {line_name} is the short name,
        # "Line 3"), and when a train leaves ({due}, {due_next} here and in the cases above)
        "departure": (frozenset({"line_name", "destination", "due"}),
                      "{line_name} to {destination} {due}"),
        "due_now": (frozenset(), "now"),
        "due_in": (frozenset({"minutes"}), "in {minutes:# minute|# minutes}"),
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
        # a notice in a translation's answers (the feed's text is the first language's):
        # the feed's own text in that language ("texts": {"es": ...}) when it has one, else
        # a line's delay said from its kind, else the feed's text as this case says it
        "notice_delayed": (frozenset({"line_name"}), "There are delays on {line_name}."),
        "notice_untranslated": (frozenset({"notice"}), "{notice}"),
    },
    "route_planning": {
        "default": (frozenset({"station_name", "route", "stops", "minutes"}),
                    "To get to {station_name}, {route}. That's {stops:# stop|# stops}, about "
                    "{minutes:# minute|# minutes}."),
        "direct": (frozenset({"station_name", "line_name", "direction", "stops", "minutes"}),
                   "To get to {station_name}, take {line_name} towards {direction}. That's "
                   "{stops:# stop|# stops}, about {minutes:# minute|# minutes}."),
        # the {route} of the default case, leg by leg: "take Line 3 towards Greenfield as
        # far as Union Station, then change to Line 4 towards Zoo" (legs joined by ", ")
        "first_leg": (frozenset({"line_name", "direction"}),
                      "take {line_name} towards {direction}"),
        "next_leg": (frozenset({"line_name", "direction"}),
                     "then change to {line_name} towards {direction}"),
        "change_at": (frozenset({"station_name"}), "as far as {station_name}"),
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
        # a named child, student or senior (a traveller slot value with fare: concession)
        # to a station: the concession fare there (concession_multiplier of the single)
        "concession": (frozenset({"station_name", "traveller_name", "concession_price",
                                  "single_price"}),
                       "A {traveller_name} single to {station_name} costs {concession_price}; "
                       "an adult single is {single_price}."),
        # a pass for a child, student or senior: the pass has one price (the concession
        # is of the single), said with the cheapest concession single
        "pass_concession": (frozenset({"ticket_name", "ticket_price", "traveller_name",
                                       "concession_price"}),
                            "A {ticket_name} costs {ticket_price}; the {traveller_name} fare "
                            "is for single tickets, from {concession_price}."),
        # a return to a station for a child, student or senior: the adult return there
        # and the concession single there (the concession is of the single: no
        # concession return price is made up)
        "return_concession": (frozenset({"ticket_name", "station_name", "ticket_price",
                                         "traveller_name", "concession_price"}),
                              "A {ticket_name} to {station_name} costs {ticket_price}; the "
                              "{traveller_name} fare is for single tickets: "
                              "{concession_price} to {station_name}."),
        # the adult single (the fare depends on where to: the answer asks, and the
        # dialogue takes the next words as the station)
        "no_station": (frozenset({"min_fare", "day_pass"}),
                       "An adult single from here starts at {min_fare}, and a day pass is "
                       "{day_pass}. Where are you going?"),
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


COUNT_NUMBER = "#"
"""Where the number goes in a count's forms (``{stops:# stop|# stops}``)."""


def _count_forms(spec: str) -> tuple[str, str] | None:
    """A count placeholder's two forms ("# stop", "# stops"), or None when ``spec`` is
    not one (two forms separated by ``|``, no braces)."""
    forms = spec.split("|")
    if len(forms) != 2 or any("{" in f or "}" in f for f in forms):
        return None
    return forms[0], forms[1]


def placeholders(text: str) -> list[str]:
    """The ``{names}`` used in a template (raises ValueError on a malformed one). A name
    may carry a count's forms (``{stops:# stop|# stops}``) and nothing else."""
    names = []
    for _, name, spec, conv in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or conv or (spec and _count_forms(spec) is None):
            shown = f"{name}:{spec}" if spec else name
            raise ValueError(f"malformed placeholder {{{shown}}}" + (
                f" (a count's words are two forms: {{{name}:# one|# many}})" if spec else ""))
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


class _Formatter(string.Formatter):
    """``str.format`` plus counts: ``{stops:# stop|# stops}`` -> "1 stop", "2 stops"."""

    def format_field(self, value: Any, format_spec: str) -> str:
        forms = _count_forms(format_spec) if format_spec else None
        if forms is None:
            return str(super().format_field(value, format_spec))
        try:
            count = float(value)
        except (TypeError, ValueError):
            return ""  # no count given: nothing to agree with
        number = f"{count:g}"
        return forms[0 if count == 1 else 1].replace(COUNT_NUMBER, number)


_FORMATTER = _Formatter()


def render(templates: dict[str, dict[str, str]], intent: str, case: str,
           values: dict[str, Any]) -> str:
    """Fill the site's template (or the built-in one) for ``intent``/``case``."""
    text = templates.get(intent, {}).get(case)
    if text is None:
        text = TEMPLATE_CASES.get(intent, {}).get(case, (frozenset(), ""))[1]
    out = _FORMATTER.vformat(text, (), _Blank({k: v for k, v in values.items()
                                               if v is not None}))
    return " ".join(out.split())
