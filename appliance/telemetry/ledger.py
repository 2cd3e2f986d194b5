"""The command ledger: which command ids this device has seen, on disk.

A command is claimed (``running``) *before* its handler runs and marked
``done`` with its reply after, in the same SQLite file as the outbox. A
redelivered id is therefore refused as a duplicate, even across a restart, and
a command the agent was killed in the middle of is never run again: on the next
start it is reported ``interrupted``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

from appliance.telemetry.outbox import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    received REAL NOT NULL,
    reply_topic TEXT,
    correlation BLOB,
    reply TEXT
);
CREATE INDEX IF NOT EXISTS commands_received ON commands (received);
"""


class Entry(NamedTuple):
    """A ledger row."""

    id: str
    name: str
    state: str
    reply_topic: str | None
    correlation: bytes | None
    reply: dict[str, Any] | None


class CommandLedger:
    """Persistent set of command ids with their state (thread-safe)."""

    def __init__(self, path: Path, keep: int = 10_000) -> None:
        self._db: sqlite3.Connection = connect(path)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.keep = keep

    def claim(
        self, cmd_id: str, name: str, reply_topic: str | None, correlation: bytes | None
    ) -> Entry | None:
        """Record a new command as running; returns the existing entry if the id is known."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO commands(id, name, state, received, reply_topic,"
                " correlation) VALUES (?,?,?,?,?,?)",
                (cmd_id, name, "running", time.time(), reply_topic, correlation),
            )
            if cur.rowcount == 1:
                return None
            return self._get(cmd_id)

    def _get(self, cmd_id: str) -> Entry | None:
        row = self._db.execute(
            "SELECT id, name, state, reply_topic, correlation, reply FROM commands WHERE id=?",
            (cmd_id,),
        ).fetchone()
        if row is None:
            return None
        return Entry(row[0], row[1], row[2], row[3],
                     None if row[4] is None else bytes(row[4]),
                     None if row[5] is None else json.loads(row[5]))

    def finish(self, cmd_id: str, reply: dict[str, Any], state: str = "done") -> None:
        with self._lock:
            self._db.execute(
                "UPDATE commands SET state=?, reply=? WHERE id=?",
                (state, json.dumps(reply, default=str), cmd_id),
            )

    def take_interrupted(self) -> list[Entry]:
        """Commands left ``running`` by a previous process; marks them ``interrupted``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM commands WHERE state='running' ORDER BY received"
            ).fetchall()
            self._db.execute("UPDATE commands SET state='interrupted' WHERE state='running'")
            entries = [self._get(r[0]) for r in rows]
        return [e for e in entries if e is not None]

    def prune(self) -> None:
        """Forget all but the newest ``keep`` ids."""
        with self._lock:
            self._db.execute(
                "DELETE FROM commands WHERE id NOT IN "
                "(SELECT id FROM commands ORDER BY received DESC LIMIT ?)",
                (self.keep,),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
