"""What every fleet store does, in SQL both SQLite and PostgreSQL run.

History is keyed by ``(device_id, seq)``, so a message replayed by a device's
outbox (or delivered twice around a broker restart) is stored once: that is the
fleet's dedup. ``devices`` holds the latest state, birth, health and config
report. A backend gives a connection, its DDL, its placeholder style and its
transaction; the queries are here, once (``?`` placeholders, rewritten by the
backend where it uses another style).
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

from appliance.telemetry.agent import ALARM_EVENTS
from appliance.telemetry.topics import parse as parse_topic


class Incoming(NamedTuple):
    """One message as received by an ingester."""

    topic: str
    payload: bytes
    received: float


DEVICE_COLUMNS = ("device_id, site, online, bdseq, state_reason, last_seen, health, alarms,"
                  " last_alarm, cfg")


class Store(ABC):
    """Thread-safe access to the fleet database (one connection behind a lock)."""

    url = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stored = 0
        self.duplicates = 0
        self.ignored = 0

    # --- what a backend provides ------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        """Run one statement written with ``?`` placeholders; returns a DB-API cursor."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """A write transaction (commit on success, roll back on error)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def _retryable(self, exc: BaseException) -> bool:
        """Whether a failed batch may simply be written again (deadlock, serialization)."""
        return False

    # --- ingest -------------------------------------------------------------------

    def ingest(self, batch: list[Incoming]) -> None:
        """Store a batch in one transaction (dedup by ``(device, seq)``).

        Messages are applied in device order (stable, so each device's own order
        holds): concurrent ingesters then lock device rows in the same order.
        """
        ordered = sorted(batch, key=lambda m: m.topic.split("/", 4)[:4])
        with self._lock:
            for attempt in range(3):
                counts = {"stored": 0, "duplicate": 0, "ignored": 0, "latest": 0}
                try:
                    with self._transaction():
                        for msg in ordered:
                            counts[self._one(msg)] += 1
                    break
                except Exception as exc:
                    if attempt == 2 or not self._retryable(exc):
                        raise
            self.stored += counts["stored"]
            self.duplicates += counts["duplicate"]
            self.ignored += counts["ignored"]

    def _one(self, msg: Incoming) -> str:
        parsed = parse_topic(msg.topic)
        try:
            body = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            body = None
        if parsed is None or not isinstance(body, dict):
            return "ignored"
        dev, site, kind = parsed.device_id, parsed.site, parsed.kind
        text = msg.payload.decode("utf-8", "replace")
        self._execute("INSERT INTO devices(device_id, site) VALUES (?, ?) "
                      "ON CONFLICT (device_id) DO NOTHING", (dev, site))
        self._execute("UPDATE devices SET last_seen=? WHERE device_id=?", (msg.received, dev))
        if kind == "state":
            bdseq = _int(body.get("bdSeq"))
            self._execute(
                "UPDATE devices SET online=?, bdseq=?, state_reason=? "
                "WHERE device_id=? AND bdseq<=?",
                (int(body.get("online") is True), bdseq, str(body.get("reason")), dev, bdseq))
            return "latest"  # state and birth update the device row, not the history
        if kind == "birth":
            self._execute("UPDATE devices SET birth=?, site=? WHERE device_id=?", (text, site, dev))
            return "latest"
        seq = body.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 0 < seq < 2**63:
            return "ignored"
        full_kind = f"{kind}/{parsed.rest}" if parsed.rest else kind
        cur = self._execute(
            "INSERT INTO history(device_id, seq, kind, ts, received, payload) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (device_id, seq) DO NOTHING",
            (dev, seq, full_kind, _num(body.get("ts")), msg.received, text))
        if cur.rowcount == 0:
            return "duplicate"
        if kind == "health":
            self._execute("UPDATE devices SET health=?, health_seq=? "
                          "WHERE device_id=? AND health_seq<?", (text, seq, dev, seq))
        elif kind == "cfg":
            self._execute("UPDATE devices SET cfg=? WHERE device_id=?", (text, dev))
        elif kind == "evt" and parsed.rest in ALARM_EVENTS:
            self._execute("UPDATE devices SET alarms=alarms+1, last_alarm=? WHERE device_id=?",
                          (parsed.rest, dev))
        return "stored"

    # --- queries ---------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:  # one statement: its own snapshot, no write lock taken
            return [tuple(r) for r in self._execute(sql, args).fetchall()]

    def devices(self, site: str | None = None) -> list[dict[str, Any]]:
        """Every device (of ``site``), with its latest state, health and config report."""
        sql = f"SELECT {DEVICE_COLUMNS} FROM devices"
        args: tuple[Any, ...] = ()
        if site:
            sql += " WHERE site=?"
            args = (site,)
        return [_device_row(r) for r in self._rows(sql + " ORDER BY site, device_id", args)]

    def device(self, device_id: str, history: int = 20) -> dict[str, Any] | None:
        """One device with its birth and its ``history`` latest non-health messages."""
        rows = self._rows(f"SELECT {DEVICE_COLUMNS}, birth FROM devices WHERE device_id=?",
                          (device_id,))
        if not rows:
            return None
        events = self._rows(
            "SELECT seq, kind, ts, payload FROM history WHERE device_id=? AND kind<>'health'"
            " ORDER BY seq DESC LIMIT ?", (device_id, history))
        info = _device_row(rows[0])
        info["birth"] = json.loads(rows[0][10]) if rows[0][10] else None
        info["recent"] = [{"seq": e[0], "kind": e[1], "ts": e[2], "body": json.loads(e[3])}
                          for e in events]
        return info

    def seqs(self, device_id: str, kind: str | None = None) -> list[int]:
        """Every stored seq of a device (tests and the bench check completeness)."""
        sql = "SELECT seq FROM history WHERE device_id=?"
        args: tuple[Any, ...] = (device_id,)
        if kind:
            sql += " AND kind=?"
            args = (device_id, kind)
        return [int(r[0]) for r in self._rows(sql + " ORDER BY seq", args)]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def split_script(script: str) -> Iterator[str]:
    """The statements of a DDL script (no ``;`` inside statements)."""
    for stmt in script.split(";"):
        if stmt.strip():
            yield stmt.strip()


def _device_row(r: tuple[Any, ...]) -> dict[str, Any]:
    return {"device_id": r[0], "site": r[1], "online": bool(r[2]), "bdseq": r[3],
            "reason": r[4], "last_seen": r[5], "age_s": None if r[5] is None else
            round(time.time() - r[5], 1), "health": json.loads(r[6]) if r[6] else None,
            "alarms": r[7], "last_alarm": r[8], "cfg": json.loads(r[9]) if r[9] else None}


def _int(value: Any) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
    return int(value) if ok else 0


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
