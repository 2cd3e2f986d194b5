"""Live data a site provides: next departures and service notices.

A feed is a JSON file (re-read when it changes) or a URL (fetched with a short
timeout, cached for ``max_age_s``). A feed that cannot be read degrades to "no
live data": answers then say so instead of guessing.

Live data carries its age: the feed's ``generated_at`` (an ISO 8601 date and time with
a timezone), else the file's modification time (a URL: the time it was fetched). Data
older than the feed's ``max_age_s`` is *stale*: :class:`LiveData` then has ``ok`` False
and ``stale`` True and holds no departures or notices, so nothing old is read out as
current. Departures of a current feed count down by its age (a train due in 2 minutes
in a feed 3 minutes old has gone); notices whose ``until`` has passed are dropped.

A feed with ``"sample": true`` (the bundled demo's) is made-up example data: it is
never stale, and its notices are judged as of its own ``generated_at``.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import datetime
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
    until_ts: float | None = None
    """``until`` in epoch seconds; None when there is none (or it is not a date and time)."""
    texts: dict[str, str] = field(default_factory=dict)
    """The notice in other languages, where the feed carries them (``"texts": {"es": ...}``)."""


@dataclass
class LiveData:
    """What a feed says now. ``ok``: current data to answer from; ``stale``: the feed was
    read but is older than its ``max_age_s`` (no departures or notices are given then);
    ``age_s``: seconds since the data was made; ``sample``: made-up demo data."""

    departures: list[Departure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    generated_at: str = ""
    ok: bool = True
    stale: bool = False
    age_s: float | None = None
    sample: bool = False
    generated_ts: float | None = None

    def notices_for(self, line: str = "", facility_prefix: str = "") -> list[Notice]:
        out = []
        for n in self.notices:
            if facility_prefix:
                if n.facility.startswith(facility_prefix):
                    out.append(n)
            elif (not line or n.line == line) and not n.facility:
                out.append(n)
        return out


def parse_time(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date and time with a timezone, else None.

    ``2025-06-02T18:00:00+01:00`` and ``2025-06-02T17:00Z`` are read; a bare ``18:00``,
    a date alone or a time without a timezone are not (they could mean any day or zone).
    """
    s = text.strip()
    if len(s) < 16 or s[10] not in "Tt ":
        return None
    if s[-1] in "Zz":
        s = s[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(s)
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


TIME_HINT = "an ISO 8601 date and time with a timezone, e.g. 2025-06-02T18:00:00+01:00"


def parse_feed(f: FileReader, slots: dict[str, list[SlotValue]]) -> LiveData:
    """Parse (and record problems in) a feed document already loaded by ``f``."""
    lines = {v.id for v in slots.get("line", [])}
    stations = {v.id for v in slots.get("station", [])}
    top = f.mapping(f.data, (), "the feed")
    data = LiveData(generated_at=f.text(top, (), "generated_at", required=False))
    if data.generated_at:
        data.generated_ts = parse_time(data.generated_at)
        if data.generated_ts is None:
            f.warn(("generated_at",), f"'generated_at' must be {TIME_HINT}; got "
                   f"'{data.generated_at}' (the file's age is used instead)")
    sample = top.get("sample", False)
    if not isinstance(sample, bool):
        f.error(("sample",), "'sample' must be true or false")
    data.sample = sample is True
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
        texts = f.mapping(d.get("texts", {}), (*p, "texts"), "'texts'")
        n.texts = {str(lang): text.strip() for lang, text in texts.items()
                   if isinstance(text, str) and text.strip()}
        if len(n.texts) != len(texts):
            f.error((*p, "texts"), "'texts' must map a language code to the notice's text")
        if lines and n.line and n.line not in lines:
            f.error((*p, "line"), f"unknown line '{n.line}'")
        if n.severity not in SEVERITIES:
            f.error((*p, "severity"), f"severity '{n.severity}' must be one of "
                    + ", ".join(SEVERITIES))
        if n.until:
            n.until_ts = parse_time(n.until)
            if n.until_ts is None:
                f.warn((*p, "until"), f"'until' must be {TIME_HINT}; got '{n.until}' (the "
                       "notice is then shown until it leaves the feed)")
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
        self._made = 0.0  # wall-clock time the data was made when it does not say
        self._data = LiveData(ok=False)
        self._said_stale = False

    def get(self, now: float | None = None) -> LiveData:
        """The data as of ``now`` (epoch seconds; default: the time now).

        ``ok`` is False when the feed could not be read, and when it is stale (then
        ``stale`` is True and ``age_s`` says how old it is).
        """
        now = time.time() if now is None else now
        try:
            if self.feed.path:
                path = self.root / self.feed.path
                stamp = path.stat().st_mtime
                if stamp != self._stamp:
                    self._data = self._parse(path.read_text(encoding="utf-8"), self.feed.path)
                    self._stamp = self._made = stamp
            elif self.feed.url:
                mono = time.monotonic()
                if self._stamp is None or mono - self._stamp > self.feed.max_age_s:
                    with urllib.request.urlopen(self.feed.url, timeout=self.timeout_s) as resp:
                        text = resp.read(1_000_000).decode("utf-8")
                    self._data = self._parse(text, self.feed.url)
                    self._stamp, self._made = mono, now
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            logger.warning("live feed %s unavailable: %s", self.feed.name, exc)
            self._data = LiveData(ok=False)
            self._stamp = None
        if not self._data.ok:
            return self._data
        return self._as_of(now)

    def _as_of(self, now: float) -> LiveData:
        raw = self._data
        made = raw.generated_ts if raw.generated_ts is not None else self._made
        age = max(0.0, now - made)
        if raw.sample:  # example data: shown as it was when it was made
            at = raw.generated_ts if raw.generated_ts is not None else now
            return replace(raw, notices=current_notices(raw.notices, at), age_s=age)
        if age > self.feed.max_age_s:
            if not self._said_stale:
                logger.warning("live feed %s is stale: %.0f s old (max_age_s %g); answers say "
                               "there is no current information", self.feed.name, age,
                               self.feed.max_age_s)
                self._said_stale = True
            return LiveData(ok=False, stale=True, age_s=age, generated_at=raw.generated_at,
                            generated_ts=raw.generated_ts)
        self._said_stale = False
        gone = age / 60.0
        departures = [replace(d, due_min=max(0.0, d.due_min - gone)) for d in raw.departures
                      if d.due_min - gone > -0.5]
        return replace(raw, departures=departures, notices=current_notices(raw.notices, now),
                       age_s=age)

    def _parse(self, text: str, name: str) -> LiveData:
        problems: list[Problem] = []
        reader = FileReader.__new__(FileReader)
        reader.rel, reader.problems, reader.ok = name, problems, True
        try:
            reader.data, reader.lines = loads_json(text)
        except YamlSyntaxError as exc:
            raise ValueError(f"{name}:{exc.line}: {exc}") from exc
        data = parse_feed(reader, self.slots)
        if problems:  # errors first: a feed with errors is still used for what it has
            problems.sort(key=lambda p: p.severity != "error")
            logger.warning("live feed %s: %s", name, "; ".join(map(str, problems[:3])))
        return data


def current_notices(notices: list[Notice], now: float) -> list[Notice]:
    """The notices still in force at ``now``: those without an end, or ending later."""
    return [n for n in notices if n.until_ts is None or n.until_ts > now]


def dumps_example() -> str:
    """A minimal valid feed, for documentation."""
    return json.dumps({"departures": [{"line": "l1", "destination": "northgate",
                                       "platform": "1", "due_min": 3}], "notices": []})
