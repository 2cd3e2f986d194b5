"""Live data a site provides: next departures and service notices.

A feed is a JSON file (re-read when it changes) or a URL (fetched with a short
timeout, cached for ``max_age_s``). A feed that cannot be read degrades to "no
live data": answers then say so instead of guessing.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.sitepack.model import Feed, Problem, SlotValue
from appliance.sitepack.reader import FileReader
from appliance.sitepack.yamlines import YamlSyntaxError, loads_json

logger = logging.getLogger(__name__)

SEVERITIES = ("info", "minor", "major", "severe")


@dataclass
class Departure:
    line: str
    destination: str
    platform: str
    due_min: float


@dataclass
class Notice:
    id: str
    text: str
    line: str = ""
    severity: str = "info"
    status: str = ""
    facility: str = ""
    until: str = ""


@dataclass
class LiveData:
    departures: list[Departure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    generated_at: str = ""
    ok: bool = True

    def notices_for(self, line: str = "", facility_prefix: str = "") -> list[Notice]:
        out = []
        for n in self.notices:
            if facility_prefix:
                if n.facility.startswith(facility_prefix):
                    out.append(n)
            elif (not line or n.line == line) and not n.facility:
                out.append(n)
        return out


def parse_feed(f: FileReader, slots: dict[str, list[SlotValue]]) -> LiveData:
    """Parse (and record problems in) a feed document already loaded by ``f``."""
    lines = {v.id for v in slots.get("line", [])}
    stations = {v.id for v in slots.get("station", [])}
    top = f.mapping(f.data, (), "the feed")
    data = LiveData(generated_at=f.text(top, (), "generated_at", required=False))
    for i, item in enumerate(f.seq(top.get("departures", []), ("departures",), "departures")):
        p: tuple[Any, ...] = ("departures", i)
        d = f.mapping(item, p, "a departure")
        dep = Departure(line=f.text(d, p, "line"), destination=f.text(d, p, "destination"),
                        platform=f.text(d, p, "platform"),
                        due_min=f.number(d, p, "due_min", default=0.0, minimum=0))
        if lines and dep.line and dep.line not in lines:
            f.error((*p, "line"), f"unknown line '{dep.line}'")
        if stations and dep.destination and dep.destination not in stations:
            f.error((*p, "destination"), f"unknown station '{dep.destination}'")
        data.departures.append(dep)
    for i, item in enumerate(f.seq(top.get("notices", []), ("notices",), "notices")):
        p = ("notices", i)
        d = f.mapping(item, p, "a notice")
        n = Notice(id=f.text(d, p, "id"), text=f.text(d, p, "text"),
                   line=f.text(d, p, "line", required=False),
                   severity=f.text(d, p, "severity", required=False, default="info"),
                   status=f.text(d, p, "status", required=False),
                   facility=f.text(d, p, "facility", required=False),
                   until=f.text(d, p, "until", required=False))
        if lines and n.line and n.line not in lines:
            f.error((*p, "line"), f"unknown line '{n.line}'")
        if n.severity not in SEVERITIES:
            f.error((*p, "severity"), f"severity '{n.severity}' must be one of "
                    + ", ".join(SEVERITIES))
        data.notices.append(n)
    data.departures.sort(key=lambda d: d.due_min)
    return data


class LiveFeed:
    """Reads one feed on demand, re-reading only when it changed or aged out."""

    def __init__(self, root: Path, feed: Feed, slots: dict[str, list[SlotValue]],
                 *, timeout_s: float = 1.0) -> None:
        self.root = root
        self.feed = feed
        self.slots = slots
        self.timeout_s = timeout_s
        self._stamp: float | None = None
        self._data = LiveData(ok=False)

    def get(self) -> LiveData:
        """The latest data; ``ok`` is False when the feed could not be read."""
        try:
            if self.feed.path:
                path = self.root / self.feed.path
                stamp = path.stat().st_mtime
                if stamp != self._stamp:
                    self._data = self._parse(path.read_text(encoding="utf-8"), self.feed.path)
                    self._stamp = stamp
            elif self.feed.url:
                now = time.monotonic()
                if self._stamp is None or now - self._stamp > self.feed.max_age_s:
                    with urllib.request.urlopen(self.feed.url, timeout=self.timeout_s) as resp:
                        text = resp.read(1_000_000).decode("utf-8")
                    self._data = self._parse(text, self.feed.url)
                    self._stamp = now
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            logger.warning("live feed %s unavailable: %s", self.feed.name, exc)
            self._data = LiveData(ok=False)
            self._stamp = None
        return self._data

    def _parse(self, text: str, name: str) -> LiveData:
        problems: list[Problem] = []
        reader = FileReader.__new__(FileReader)
        reader.rel, reader.problems, reader.ok = name, problems, True
        try:
            reader.data, reader.lines = loads_json(text)
        except YamlSyntaxError as exc:
            raise ValueError(f"{name}:{exc.line}: {exc}") from exc
        data = parse_feed(reader, self.slots)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            logger.warning("live feed %s: %s", name, "; ".join(map(str, errors[:3])))
        return data


def dumps_example() -> str:
    """A minimal valid feed, for documentation."""
    return json.dumps({"departures": [{"line": "l1", "destination": "northgate",
                                       "platform": "1", "due_min": 3}], "notices": []})
