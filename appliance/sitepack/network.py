"""Routes and fares over a site pack's metro network (Dijkstra with a transfer penalty).

Part of the pack, not of an engine: the QA engine answers with it and the pack's
consistency check compares the FAQ against it.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

from appliance.frames import Show, ShowLeg
from appliance.sitepack.model import SitePack
from appliance.sitepack.templating import render


@dataclass
class Leg:
    line: str
    board: str
    alight: str
    towards: str
    stops: int


@dataclass
class Route:
    legs: list[Leg]
    minutes: float

    @property
    def stops(self) -> int:
        return sum(leg.stops for leg in self.legs)


def plan_route(pack: SitePack, origin: str, dest: str) -> Route | None:
    """The quickest route (fewest minutes, a change costs ``transfer_minutes``)."""
    net = pack.network
    if origin == dest:
        return Route(legs=[], minutes=0.0)
    # state: (station, line); edges along a line cost minutes_per_stop, changes cost transfer
    adj: dict[tuple[str, str], list[tuple[tuple[str, str], float]]] = {}
    lines_at: dict[str, list[str]] = {}
    for ln in net.lines:
        for i, st in enumerate(ln.stations):
            lines_at.setdefault(st, []).append(ln.id)
            nbrs = adj.setdefault((st, ln.id), [])
            for j in (i - 1, i + 1):
                if 0 <= j < len(ln.stations):
                    nbrs.append(((ln.stations[j], ln.id), net.minutes_per_stop))
    for st, lns in lines_at.items():
        for a in lns:
            for b in lns:
                if a != b:
                    adj[(st, a)].append(((st, b), net.transfer_minutes))
    if origin not in lines_at or dest not in lines_at:
        return None
    heap: list[tuple[float, tuple[str, str]]] = [(0.0, (origin, ln)) for ln in lines_at[origin]]
    best: dict[tuple[str, str], float] = {s: 0.0 for _, s in heap}
    prev: dict[tuple[str, str], tuple[str, str]] = {}
    end: tuple[str, str] | None = None
    while heap:
        cost, node = heapq.heappop(heap)
        if cost > best.get(node, float("inf")):
            continue
        if node[0] == dest:
            end = node
            break
        for nxt, w in adj.get(node, []):
            if cost + w < best.get(nxt, float("inf")):
                best[nxt] = cost + w
                prev[nxt] = node
                heapq.heappush(heap, (cost + w, nxt))
    if end is None:
        return None
    path = [end]
    while path[-1] in prev:
        path.append(prev[path[-1]])
    path.reverse()
    legs: list[Leg] = []
    for (st, line_id), (nst, next_line) in itertools.pairwise(path):
        if line_id != next_line:
            continue
        if legs and legs[-1].line == line_id:
            legs[-1].alight, legs[-1].stops = nst, legs[-1].stops + 1
        else:
            legs.append(Leg(line=line_id, board=st, alight=nst, towards="", stops=1))
    for leg in legs:
        info = net.line(leg.line)
        if info is not None:
            i, j = info.stations.index(leg.board), info.stations.index(leg.alight)
            leg.towards = info.stations[-1] if j > i else info.stations[0]
    return Route(legs=legs, minutes=best[end])


def route_show(pack: SitePack, route: Route) -> Show:
    """The route as something to draw: each leg's stations in travel order, and the
    stations where the visitor changes line."""
    legs = []
    for leg in route.legs:
        info = pack.network.line(leg.line)
        if info is None:
            continue
        i, j = info.stations.index(leg.board), info.stations.index(leg.alight)
        stations = info.stations[min(i, j) : max(i, j) + 1]
        legs.append(ShowLeg(leg.line, stations if j >= i else stations[::-1]))
    return Show(legs=legs, changes=[leg.alight for leg in route.legs[:-1]])


def describe_route(pack: SitePack, route: Route,
                   templates: dict[str, dict[str, str]] | None = None,
                   language: str = "") -> str:
    """"take Line 3 towards Greenfield as far as Union Station, then change to ..." for
    speaking, in the words of ``templates`` (a language's, as ``SitePack.templates_for``
    gives them): route_planning's ``first_leg``, ``next_leg`` and ``change_at`` cases,
    else the built-in English ones; line names in ``language`` where its translation
    names them ("Línea 3 (línea verde)")."""
    words = templates if templates is not None else pack.templates
    parts = []
    for k, leg in enumerate(route.legs):
        values = {"line_name": pack.slot_name("line", leg.line, language),
                  "direction": pack.slot_name("station", leg.towards)}
        parts.append(render(words, "route_planning", "next_leg" if k else "first_leg", values))
        if k < len(route.legs) - 1:
            parts[-1] += " " + render(words, "route_planning", "change_at",
                                      {"station_name": pack.slot_name("station", leg.alight)})
    return ", ".join(parts)


def fare(pack: SitePack, origin: str, dest: str) -> float | None:
    """Adult single fare between two stations by zones travelled through."""
    zones = pack.network.zones
    if origin not in zones or dest not in zones:
        return None
    span = abs(zones[origin] - zones[dest]) + 1
    table = pack.network.fares.single_by_zones
    return table.get(span, max(table.values()) if table else None)


PASSES = ("day_pass", "week_pass")
"""Ticket types with one price of their own (``fares.day_pass``, ``fares.week_pass``); the
``concession_multiplier`` is of the single, so a pass has no concession price."""


def ticket_price(pack: SitePack, ticket_type: str, single: float | None) -> float | None:
    f = pack.network.fares
    if ticket_type == "day_pass":
        return f.day_pass or None
    if ticket_type == "week_pass":
        return f.week_pass or None
    if single is None:
        single = min(f.single_by_zones.values()) if f.single_by_zones else None
    if single is None:
        return None
    if ticket_type == "return":
        return single * f.return_multiplier
    if ticket_type == "concession":
        return single * f.concession_multiplier
    return single


MONEY_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"GBP": ("pound", "pounds"), "EUR": ("euro", "euros"), "USD": ("dollar", "dollars")},
    "es": {"GBP": ("libra", "libras"), "EUR": ("euro", "euros"), "USD": ("dólar", "dólares")},
}
"""Language -> currency -> the words for one and for many (a currency without words here
is said by its code)."""


def money(amount: float, currency: str = "GBP", language: str = "en") -> str:
    """Spoken money in ``language`` (any other is English): "2 pounds 90", "8 pounds 50",
    "5 pounds", "1 pound 05"; Spanish as the demo pack's FAQ says it, "2 libras con 90",
    "1 libra", "1 libra con 5"."""
    lang = language.replace("_", "-").split("-")[0].lower()
    whole, cents = divmod(round(amount * 100), 100)
    if lang == "es":
        one, many = MONEY_WORDS["es"].get(currency, (currency, currency))
        return f"{whole} {one if whole == 1 else many}" + (f" con {cents}" if cents else "")
    one, many = MONEY_WORDS["en"].get(currency, (currency, currency))
    unit = one if whole == 1 else many
    return f"{whole} {unit}" + (f" {cents:02d}" if cents else "")
