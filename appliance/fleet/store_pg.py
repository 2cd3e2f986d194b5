"""The fleet store on PostgreSQL (psycopg 3): same schema and queries as SQLite.

Used when ``kiosk-fleet --db`` (or ``KIOSK_FLEET_DB``) is a ``postgresql://``
URL, so that ingesters on several machines write one database. Times are
``DOUBLE PRECISION`` (Unix seconds, like SQLite's REAL), sequence numbers
``BIGINT``. Concurrent ingesters are safe: the schema is created under an
advisory lock, batches lock device rows in device order, and a batch that hits
a deadlock or serialization failure anyway is written again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from appliance.errors import KioskError
from appliance.fleet.store_base import Store, split_script

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    bdseq BIGINT NOT NULL DEFAULT 0,
    state_reason TEXT,
    last_seen DOUBLE PRECISION,
    birth TEXT,
    health TEXT,
    health_seq BIGINT NOT NULL DEFAULT 0,
    cfg TEXT,
    alarms INTEGER NOT NULL DEFAULT 0,
    last_alarm TEXT
);
CREATE TABLE IF NOT EXISTS history (
    device_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ts DOUBLE PRECISION,
    received DOUBLE PRECISION NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE INDEX IF NOT EXISTS history_kind ON history (device_id, kind, received);
"""
_SCHEMA_LOCK = 0x6B696F736B  # advisory lock key while creating the schema ("kiosk")


class PostgresStore(Store):
    """The PostgreSQL store (one autocommit connection; explicit write transactions)."""

    def __init__(self, url: str, connect_timeout: int = 10) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError as exc:
            raise KioskError("PostgreSQL stores need psycopg: pip install 'psycopg[binary]'",
                             code="fleet-store-unavailable") from exc
        self.url = url
        self._psycopg = psycopg
        self._timeout = connect_timeout
        self._db = self._connect()
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for stmt in split_script(_SCHEMA):
                self._db.execute(stmt)  # type: ignore[arg-type]

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=self._timeout)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())[:300]
            raise KioskError(f"cannot open the fleet database: {reason}",
                             code="fleet-store-unavailable", retryable=True) from exc

    def _execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self._db.execute(sql.replace("?", "%s"), args)  # type: ignore[arg-type]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._db.transaction():
            yield

    def _retryable(self, exc: BaseException) -> bool:
        errors = self._psycopg.errors
        if self._db.closed:  # the server restarted or the link dropped: reconnect once
            logger.warning("fleet store: connection lost (%s); reconnecting", exc)
            self._db = self._connect()
            return True
        retry = isinstance(exc, (errors.DeadlockDetected, errors.SerializationFailure))
        if retry:
            logger.warning("fleet store: %s; writing the batch again", type(exc).__name__)
        return retry

    def close(self) -> None:
        with self._lock:
            self._db.close()
