"""The fleet store: latest state per device and message history.

SQLite (WAL) by default: one file, several ingesters may write it (busy
timeout). At fleet scale, give ``kiosk-fleet --db postgresql://...`` and the
same schema and queries run on PostgreSQL (:mod:`appliance.fleet.store_pg`),
where ingesters on several machines share one database. The queries live in
:mod:`appliance.fleet.store_base`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from appliance.fleet.store_base import Incoming, Store, split_script

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


def connect(url: str) -> Store:
    """Open a store: a path or ``sqlite:///path``, or ``postgresql://user@host/db``."""
    if url.startswith(("postgres://", "postgresql://")):
        from appliance.fleet.store_pg import PostgresStore

        return PostgresStore(url)
    return FleetStore(Path(url.removeprefix("sqlite:///")))


class FleetStore(Store):
    """The SQLite store (WAL, ``synchronous=NORMAL``)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.url = str(path)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        for stmt in split_script(_SCHEMA):
            self._db.execute(stmt)

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self._db.execute(sql, args)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


__all__ = ["FleetStore", "Incoming", "Store", "connect"]
