"""The fleet store: latest state per device and message history, in SQLite (WAL).

History is keyed by ``(device_id, seq)``, so a message replayed by a device's
outbox (or delivered twice around a broker restart) is stored once: that is the
fleet's dedup. ``devices`` holds the latest state, birth, health and config
report. Several ingesters may write one file (WAL + busy timeout); at fleet
scale, point them at PostgreSQL instead (not built yet: see the README).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

from appliance.telemetry.agent import ALARM_EVENTS
from appliance.telemetry.topics import parse as parse_topic

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    bdseq INTEGER NOT NULL DEFAULT 0,
    state_reason TEXT,
    last_seen REAL,
    birth TEXT,
    health TEXT,
    health_seq INTEGER NOT NULL DEFAULT 0,
    cfg TEXT,
    alarms INTEGER NOT NULL DEFAULT 0,
    last_alarm TEXT
);
CREATE TABLE IF NOT EXISTS history (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    ts REAL,
    received REAL NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_kind ON history (device_id, kind, received);
"""


class Incoming(NamedTuple):
    """One message as received by an ingester."""

    topic: str
    payload: bytes
    received: float


def connect(url: str) -> FleetStore:
    """Open a store from a path or ``sqlite:///path`` (``postgresql://`` is not built yet)."""
    if url.startswith(("postgres://", "postgresql://")):
        raise ValueError("PostgreSQL stores are not implemented yet; use a SQLite path")
    return FleetStore(Path(url.removeprefix("sqlite:///")))


class FleetStore:
    """Thread-safe access to the fleet database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.stored = 0
        self.duplicates = 0
        self.ignored = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- ingest -----------------------------------------------------------------

    def ingest(self, batch: list[Incoming]) -> None:
        """Store a batch in one transaction (dedup by ``(device, seq)``)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for msg in batch:
                    self._one(msg)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _one(self, msg: Incoming) -> None:
        parsed = parse_topic(msg.topic)
        try:
            body = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            body = None
        if parsed is None or not isinstance(body, dict):
            self.ignored += 1
            return
        dev, site, kind = parsed.device_id, parsed.site, parsed.kind
        self._db.execute("INSERT OR IGNORE INTO devices(device_id, site) VALUES (?, ?)",
                         (dev, site))
        self._db.execute("UPDATE devices SET last_seen=? WHERE device_id=?", (msg.received, dev))
        if kind == "state":
            self._db.execute(
                "UPDATE devices SET online=?, bdseq=?, state_reason=? "
                "WHERE device_id=? AND bdseq<=?",
                (int(body.get("online") is True), _int(body.get("bdSeq")), str(body.get("reason")),
                 dev, _int(body.get("bdSeq"))))
            return
        if kind == "birth":
            self._db.execute("UPDATE devices SET birth=?, site=? WHERE device_id=?",
                             (msg.payload.decode(), site, dev))
            return
        seq = body.get("seq")
        if not isinstance(seq, int):
            self.ignored += 1
            return
        full_kind = f"{kind}/{parsed.rest}" if parsed.rest else kind
        cur = self._db.execute(
            "INSERT OR IGNORE INTO history(device_id, seq, kind, ts, received, payload) "
            "VALUES (?,?,?,?,?,?)",
            (dev, seq, full_kind, _num(body.get("ts")), msg.received, msg.payload.decode()))
        if cur.rowcount == 0:
            self.duplicates += 1
            return
        self.stored += 1
        if kind == "health":
            self._db.execute("UPDATE devices SET health=?, health_seq=? "
                             "WHERE device_id=? AND health_seq<?",
                             (msg.payload.decode(), seq, dev, seq))
        elif kind == "cfg":
            self._db.execute("UPDATE devices SET cfg=? WHERE device_id=?",
                             (msg.payload.decode(), dev))
        elif kind == "evt" and parsed.rest in ALARM_EVENTS:
            self._db.execute("UPDATE devices SET alarms=alarms+1, last_alarm=? WHERE device_id=?",
                             (parsed.rest, dev))

    # --- queries -------------------------------------------------------------------

    def devices(self, site: str | None = None) -> list[dict[str, Any]]:
        sql = ("SELECT device_id, site, online, bdseq, state_reason, last_seen, health, alarms,"
               " last_alarm, cfg FROM devices")
        args: tuple[Any, ...] = ()
        if site:
            sql += " WHERE site=?"
            args = (site,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY site, device_id", args).fetchall()
        return [_device_row(r) for r in rows]

    def device(self, device_id: str, history: int = 20) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT device_id, site, online, bdseq, state_reason, last_seen, health, alarms,"
                " last_alarm, cfg, birth FROM devices WHERE device_id=?", (device_id,)).fetchone()
            if row is None:
                return None
            events = self._db.execute(
                "SELECT seq, kind, ts, payload FROM history WHERE device_id=? AND kind!='health'"
                " ORDER BY seq DESC LIMIT ?", (device_id, history)).fetchall()
        info = _device_row(row)
        info["birth"] = json.loads(row[10]) if row[10] else None
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
        with self._lock:
            return [r[0] for r in self._db.execute(sql + " ORDER BY seq", args).fetchall()]


def _device_row(r: tuple[Any, ...]) -> dict[str, Any]:
    return {"device_id": r[0], "site": r[1], "online": bool(r[2]), "bdseq": r[3],
            "reason": r[4], "last_seen": r[5], "age_s": None if r[5] is None else
            round(time.time() - r[5], 1), "health": json.loads(r[6]) if r[6] else None,
            "alarms": r[7], "last_alarm": r[8], "cfg": json.loads(r[9]) if r[9] else None}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
