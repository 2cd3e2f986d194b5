"""What a site pack draws to show an answer: station positions on the network schematic
and the station plan with its places (the pack's optional ``map.yaml``).

Lines, colours and stations come from the network; ``map.yaml`` only places them. A
station the file does not place (or a pack without the file) is laid out from its line:
the first line runs left to right, each next line runs through the first station it
shares with those already placed in a direction of its own (down, diagonal...), and a
line with two placed stations is drawn straight between them. That is legible for small
networks; a site with a busy map places its stations.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from appliance.sitepack.model import Network, SitePack

logger = logging.getLogger(__name__)

MAP_FILE = "map.yaml"
DIRECTIONS = ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0), (0.5, 1.0), (1.0, 0.5))
"""Directions given to lines laid out automatically, in turn (grid units per stop)."""

Point = tuple[float, float]


@dataclass(frozen=True)
class Place:
    """A place on the station plan: a ``box`` (x0, y0, x1, y1) or a marker ``at`` (x, y)."""

    id: str
    name: str
    box: tuple[float, float, float, float] | None = None
    at: Point | None = None
    exit: str = ""
    """The ``exit`` slot value this place is (exit answers show it)."""
    intents: tuple[str, ...] = ()
    """Intents whose FAQ answers show this place."""
    ask: str = ""
    """The question a touch on this place asks (the touch screens' station plan); empty:
    one made from the name (:func:`appliance.avatar.touch.plan.place_question`)."""

    @property
    def centre(self) -> Point:
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            return ((x0 + x1) / 2, (y0 + y1) / 2)
        return self.at or (0.0, 0.0)


@dataclass
class StationPlan:
    """The station's own plan, in the coordinates of a ``size`` canvas."""

    title: str
    size: tuple[int, int]
    you_are_here: Point
    outline: tuple[float, float, float, float] | None = None
    places: list[Place] = field(default_factory=list)

    def place(self, place_id: str) -> Place | None:
        return next((p for p in self.places if p.id == place_id), None)

    def for_exit(self, exit_id: str) -> Place | None:
        """The place that is exit ``exit_id`` (the slot value), if the plan has it."""
        return next((p for p in self.places if exit_id and p.exit == exit_id), None)

    def for_intent(self, intent: str) -> Place | None:
        """The place an FAQ answer of ``intent`` shows, if any."""
        return next((p for p in self.places if intent in p.intents), None)


@dataclass
class SiteMaps:
    """Station positions on the network schematic (grid units) and the station plan."""

    positions: dict[str, Point]
    plan: StationPlan | None = None


def load_maps(pack: SitePack) -> SiteMaps:
    """The pack's maps: ``map.yaml`` where it has one, the automatic layout for the rest.

    A broken file is logged and ignored (the kiosk shows answers without a plan rather
    than failing)."""
    data: dict[str, Any] = {}
    path = Path(pack.root) / MAP_FILE
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            logger.exception("cannot read %s; laying the map out automatically", path)
    given = (data.get("network") or {}).get("positions") or {}
    try:
        fixed = {str(k): (float(v[0]), float(v[1])) for k, v in given.items()}
        plan = _plan(data["plan"]) if data.get("plan") else None
    except (TypeError, ValueError, KeyError, IndexError):
        logger.exception("bad %s; laying the map out automatically, no station plan", path)
        fixed, plan = {}, None
    return SiteMaps(layout_network(pack.network, fixed), plan)


def _pair(v: Any) -> Point:
    return (float(v[0]), float(v[1]))


def _box(v: Any) -> tuple[float, float, float, float] | None:
    if not v:
        return None
    x0, y0, x1, y1 = (float(x) for x in v)
    return (x0, y0, x1, y1)


def _plan(d: dict[str, Any]) -> StationPlan:
    places = []
    for p in d.get("places") or []:
        places.append(Place(id=str(p["id"]), name=str(p.get("name", p["id"])),
                            box=_box(p.get("box")), at=_pair(p["at"]) if p.get("at") else None,
                            exit=str(p.get("exit", "")),
                            intents=tuple(str(i) for i in p.get("intents") or ()),
                            ask=str(p.get("ask") or "")))
    w, h = _pair(d.get("size", (1200, 630)))
    return StationPlan(title=str(d.get("title", "")), size=(int(w), int(h)),
                       you_are_here=_pair(d["you_are_here"]),
                       outline=_box(d.get("outline")),
                       places=places)


def layout_network(net: Network, fixed: dict[str, Point] | None = None) -> dict[str, Point]:
    """Every station's grid position: ``fixed`` ones as given, the rest from their lines."""
    pos: dict[str, Point] = dict(fixed or {})
    turns = itertools.cycle(DIRECTIONS)
    for line in net.lines:
        sts = line.stations
        known = [i for i, s in enumerate(sts) if s in pos]
        if len(known) == len(sts):
            continue
        if not known:  # the first line, or one that meets no other: a new row below
            y0 = max((y for _, y in pos.values()), default=-2.0) + 2.0
            x0 = min((x for x, _ in pos.values()), default=0.0)
            if not pos:
                next(turns)  # the first line takes the first direction: left to right
            for i, s in enumerate(sts):
                pos[s] = (x0 + i, y0)
            continue
        if len(known) == 1:
            dx, dy = next(turns)
            k = known[0]
            ax, ay = pos[sts[k]]
            for i, s in enumerate(sts):
                pos.setdefault(s, (ax + (i - k) * dx, ay + (i - k) * dy))
            continue
        for a, b in itertools.pairwise(known):  # straight between placed stations
            (ax, ay), (bx, by) = pos[sts[a]], pos[sts[b]]
            for i in range(a + 1, b):
                f = (i - a) / (b - a)
                pos.setdefault(sts[i], (ax + (bx - ax) * f, ay + (by - ay) * f))
        for k, step_from in ((known[0], known[1]), (known[-1], known[-2])):
            (kx, ky), (sx, sy) = pos[sts[k]], pos[sts[step_from]]
            n = abs(k - step_from)
            dx, dy = (kx - sx) / n, (ky - sy) / n  # keep going the way the line came
            ends = range(k - 1, -1, -1) if k == known[0] else range(k + 1, len(sts))
            for j, i in enumerate(ends, 1):
                pos.setdefault(sts[i], (kx + j * dx, ky + j * dy))
    return pos
