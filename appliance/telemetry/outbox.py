"""The on-disk outbox: every outgoing telemetry message waits here until PUBACK.

paho keeps nothing on disk, so the agent writes each message into a SQLite
(WAL) table first and deletes it only when the broker acknowledged it. The row
id is the message's ``seq``: strictly increasing, never reused (AUTOINCREMENT),
so it survives restarts and lets the fleet drop duplicates after a replay.

The outbox is bounded: past ``max_messages`` the oldest *telemetry* rows are
shed first; ``critical`` rows (command replies, alarms) are never shed.

A full or failing disk never takes the agent down: a telemetry message that
cannot be stored is counted as shed with its reason (and its seq is spent, so
the fleet sees the gap); a critical one waits in a small in-memory spill until
the disk takes it again. A row that cannot be published (a poison message) is
moved to the ``dead`` table after a few tries, so the queue moves on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections import Counter, deque
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
CREATE TABLE IF NOT EXISTS dead (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    reason TEXT NOT NULL,
    ts REAL NOT NULL
);
"""

DEAD_KEEP = 1000
"""Dead letters kept for diagnosis (oldest forgotten first)."""
SPILL_MAX = 1000
"""Critical messages held in memory while the disk refuses writes."""


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
        self.shed_reasons: Counter[str] = Counter()
        """Messages shed in this process, by reason (``full``, ``disk-full``, ...)."""
        self.dead_total = self._meta_get("dead_total")
        self._counters: dict[str, int] = {}
        self._spill: deque[tuple[str, dict[str, Any], dict[str, Any]]] = deque()
        self.last_error = ""

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
        """Increment and return a persistent counter (e.g. ``bdseq``).

        On a full or failing disk the counter still grows, in memory: the agent
        must be able to reconnect (and drain) precisely when the disk is full.
        """
        with self._lock:
            try:
                value = max(self._meta_get(key), self._counters.get(key, 0)) + 1
                self._meta_set(key, value)
            except sqlite3.Error as exc:
                self._note_error("counter", exc)
                value = self._counters.get(key, 0) + 1
            self._counters[key] = value
            return value

    def _note_error(self, what: str, exc: sqlite3.Error) -> None:
        self.last_error = f"{what}: {exc}"[:200]
        logger.warning("outbox %s failed: %s", what, exc)

    def _rollback(self) -> None:
        # SQLite has already rolled back after SQLITE_FULL; a second ROLLBACK would
        # raise "no transaction is active" and hide the real error.
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error as exc:
                logger.warning("outbox rollback failed: %s", exc)

    def _recount(self) -> None:
        try:
            self._count = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        except sqlite3.Error as exc:
            self._note_error("count", exc)

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
        """Store a JSON message; ``seq`` is added to ``body``. Returns the seq, or 0
        when the disk refused it: telemetry is then counted as shed (reason
        ``disk-full`` or ``write-failed``), a critical message waits in memory and is
        stored as soon as the disk takes writes again (:meth:`flush_spill`)."""
        opts: dict[str, Any] = {"critical": critical, "retain": retain, "qos": qos,
                                "correlation": correlation, "expires_at": expires_at}
        with self._lock:
            if self._spill:
                self._flush_spill_locked()
            try:
                return self._insert(topic, body, **opts)
            except sqlite3.Error as exc:
                self._note_error("write", exc)
                reason = "disk-full" if "full" in str(exc).lower() else "write-failed"
                if not critical:
                    self._next_seq += 1  # spent: the fleet sees the gap, health says why
                    self._count_shed(1, reason)
                    return 0
                if len(self._spill) >= SPILL_MAX:
                    self._spill.popleft()
                    self._count_shed(1, "spill-full")
                self._spill.append((topic, body, opts))
                return 0

    def _insert(self, topic: str, body: dict[str, Any], *, critical: bool, retain: bool,
                qos: int, correlation: bytes | None, expires_at: float | None) -> int:
        try:
            self._db.execute("BEGIN IMMEDIATE")
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
            excess = self._count + 1 - self.max_messages
            shed = self._shed(excess) if excess > 0 else 0
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            self._recount()
            raise
        self._count += 1 - shed
        if shed:
            self.shed_total += shed
            self.shed_reasons["full"] += shed
            logger.warning("outbox full: shed %d oldest telemetry messages", shed)
        self._next_seq = seq + 1
        return int(seq)

    def _shed(self, n: int) -> int:
        cur = self._db.execute(
            "DELETE FROM outbox WHERE seq IN "
            "(SELECT seq FROM outbox WHERE critical=0 ORDER BY seq LIMIT ?)",
            (n,),
        )
        if cur.rowcount:
            self._meta_set("shed_total", self.shed_total + cur.rowcount)
        return int(cur.rowcount)

    def _count_shed(self, n: int, reason: str) -> None:
        self.shed_total += n
        self.shed_reasons[reason] += n
        # the disk is what failed; the in-memory count still reaches health
        with contextlib.suppress(sqlite3.Error):
            self._meta_set("shed_total", self.shed_total)

    def flush_spill(self) -> int:
        """Store the critical messages held in memory; returns how many were stored."""
        with self._lock:
            return self._flush_spill_locked()

    def _flush_spill_locked(self) -> int:
        stored = 0
        while self._spill:
            topic, body, opts = self._spill[0]
            try:
                self._insert(topic, body, **opts)
            except sqlite3.Error:
                break
            self._spill.popleft()
            stored += 1
        if stored:
            logger.info("outbox: %d critical messages held in memory are stored now", stored)
        return stored

    @property
    def spilled(self) -> int:
        """Critical messages waiting in memory for the disk."""
        return len(self._spill)

    def batch(self, after_seq: int, limit: int, replies_only: bool = False) -> list[Message]:
        """Up to ``limit`` messages with ``seq > after_seq``, oldest first. With
        ``replies_only``: command replies (``.../res``) and config reports
        (``.../cfg/reported``, retained: the broker keeps them whoever listens), what
        a waiting console needs while telemetry is held."""
        where = "seq > ?"
        if replies_only:
            where += (" AND (topic LIKE '%/res' OR topic LIKE '%/res/%'"
                      " OR topic LIKE '%/cfg/reported')")
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
        """Delete acknowledged (or expired) messages; on a failing disk they stay
        and are sent again (the fleet drops the duplicates by seq)."""
        if not seqs:
            return
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                deleted = 0
                for seq in seqs:
                    deleted += self._db.execute("DELETE FROM outbox WHERE seq=?",
                                                (seq,)).rowcount
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                self._recount()
                self._note_error("ack", exc)
                return
            self._count -= deleted

    def dead_letter(self, seq: int, reason: str) -> bool:
        """Move a message that cannot be published to the ``dead`` table (kept for
        diagnosis, the newest ``DEAD_KEEP``). False when the disk refused the move."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT OR REPLACE INTO dead(seq, topic, payload, reason, ts)"
                    " SELECT seq, topic, payload, ?, ? FROM outbox WHERE seq=?",
                    (reason[:300], time.time(), seq))
                moved = self._db.execute("DELETE FROM outbox WHERE seq=?", (seq,)).rowcount
                self._db.execute(
                    "DELETE FROM dead WHERE seq NOT IN "
                    "(SELECT seq FROM dead ORDER BY seq DESC LIMIT ?)", (DEAD_KEEP,))
                self._meta_set("dead_total", self.dead_total + moved)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                self._recount()
                self._note_error("dead-letter", exc)
                return False
            self._count -= moved
            self.dead_total += moved
        logger.error("outbox: message seq %d moved to the dead letters: %s", seq, reason)
        return True

    def dead_letters(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest dead letters: seq, topic, reason, ts (for health and diagnostics)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, reason, ts FROM dead ORDER BY seq DESC LIMIT ?",
                (limit,)).fetchall()
        return [{"seq": r[0], "topic": r[1], "reason": r[2], "ts": r[3]} for r in rows]

    def __len__(self) -> int:
        return self._count

    @property
    def last_seq(self) -> int:
        """The highest seq ever issued (0 before the first message)."""
        return self._next_seq - 1

    def close(self) -> None:
        with self._lock:
            self._db.close()
