"""The on-disk outbox: every outgoing telemetry message waits here until PUBACK.

paho keeps nothing on disk, so the agent writes each message into a SQLite
(WAL) table first and deletes it only when the broker acknowledged it. The row
id is the message's ``seq``: strictly increasing, never reused (AUTOINCREMENT),
so it survives restarts and lets the fleet drop duplicates after a replay.

The outbox is bounded: past ``max_messages`` the oldest *telemetry* rows are
shed first; ``critical`` rows (command replies, alarms) are never shed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL DEFAULT 1,
    retain INTEGER NOT NULL DEFAULT 0,
    critical INTEGER NOT NULL DEFAULT 0,
    correlation BLOB,
    expires_at REAL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_shed ON outbox (critical, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Message(NamedTuple):
    """One stored outgoing message."""

    seq: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    critical: bool
    correlation: bytes | None
    expires_at: float | None
    created: float


def connect(path: Path, sync: str = "normal") -> sqlite3.Connection:
    """Open a SQLite database in WAL mode (shared by the outbox and the command ledger)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
    return db


class Outbox:
    """A bounded, ordered, crash-safe queue of outgoing messages (thread-safe)."""

    def __init__(self, path: Path, max_messages: int = 50_000, sync: str = "normal") -> None:
        self.path = path
        self.max_messages = max(1, max_messages)
        self._lock = threading.Lock()
        self._db = connect(path, sync)
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
        self._next_seq = (row[0] if row else 0) + 1
        self._count = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        self.shed_total = self._meta_get("shed_total")

    # --- meta counters -----------------------------------------------------

    def _meta_get(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _meta_set(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def next_counter(self, key: str) -> int:
        """Increment and return a persistent counter (e.g. ``bdseq``)."""
        with self._lock:
            value = self._meta_get(key) + 1
            self._meta_set(key, value)
            return value

    # --- queue -------------------------------------------------------------

    def put(
        self,
        topic: str,
        body: dict[str, Any],
        *,
        critical: bool = False,
        retain: bool = False,
        qos: int = 1,
        correlation: bytes | None = None,
        expires_at: float | None = None,
    ) -> int:
        """Store a JSON message; ``seq`` is added to ``body``. Returns the seq."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # another process (kiosk-provision) may have queued messages since we looked
                row = self._db.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
                seq = max(self._next_seq, (row[0] if row else 0) + 1)
                payload = json.dumps({**body, "seq": seq}, separators=(",", ":"), default=str)
                self._db.execute(
                    "INSERT INTO outbox(seq, topic, payload, qos, retain, critical, correlation,"
                    " expires_at, created) VALUES (?,?,?,?,?,?,?,?,?)",
                    (seq, topic, payload.encode(), qos, int(retain), int(critical),
                     correlation, expires_at, time.time()),
                )
                self._count += 1
                if self._count > self.max_messages:
                    self._shed(self._count - self.max_messages)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._count = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
                raise
            self._next_seq = seq + 1
            return seq

    def _shed(self, n: int) -> None:
        cur = self._db.execute(
            "DELETE FROM outbox WHERE seq IN "
            "(SELECT seq FROM outbox WHERE critical=0 ORDER BY seq LIMIT ?)",
            (n,),
        )
        if cur.rowcount:
            self._count -= cur.rowcount
            self.shed_total += cur.rowcount
            self._meta_set("shed_total", self.shed_total)
            logger.warning("outbox full: shed %d oldest telemetry messages", cur.rowcount)

    def batch(self, after_seq: int, limit: int, replies_only: bool = False) -> list[Message]:
        """Up to ``limit`` messages with ``seq > after_seq``, oldest first
        (only command replies, topics ``.../res[/...]``, with ``replies_only``)."""
        where = "seq > ?"
        if replies_only:
            where += " AND (topic LIKE '%/res' OR topic LIKE '%/res/%')"
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, payload, qos, retain, critical, correlation, expires_at,"
                f" created FROM outbox WHERE {where} ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [
            Message(r[0], r[1], bytes(r[2]), r[3], bool(r[4]), bool(r[5]),
                    None if r[6] is None else bytes(r[6]), r[7], r[8])
            for r in rows
        ]

    def ack(self, seqs: list[int]) -> None:
        """Delete acknowledged (or permanently refused/expired) messages."""
        if not seqs:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            deleted = 0
            for seq in seqs:
                deleted += self._db.execute("DELETE FROM outbox WHERE seq=?", (seq,)).rowcount
            self._db.execute("COMMIT")
            self._count -= deleted

    def __len__(self) -> int:
        return self._count

    @property
    def last_seq(self) -> int:
        """The highest seq ever issued (0 before the first message)."""
        return self._next_seq - 1

    def close(self) -> None:
        with self._lock:
            self._db.close()
