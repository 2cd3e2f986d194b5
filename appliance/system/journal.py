"""Logging set-up: structured journal fields under systemd, plain text elsewhere.

Under systemd (``$JOURNAL_STREAM`` set) logs go to the journal. With
``systemd-python`` installed each record is sent natively with its own fields,
so a technician can filter them::

    journalctl -u kiosk TURN_ID=42
    journalctl -u kiosk ERROR_CODE=asr-failed

Code passes the fields as ``extra``::

    logger.error("ASR failed", extra={"turn_id": 42, "engine": "whisper",
                                      "error_code": err.code})

Without the module the records go to stderr (which systemd connects to the
journal) with a ``<N>`` syslog priority prefix and the fields appended as
``key=value``; on a terminal they are plain lines.

Outside systemd there is no journal to ask later, so ``kiosk run`` also writes
a rotating log file (:func:`log_to_file`, ``<state>/log/kiosk.log`` unless
``telemetry.log_file`` says otherwise): the fleet's ``logs`` command and
``kiosk-provision diagnostics`` read it. Records logged before the settings
say where (the config load itself) are held by :func:`hold_startup_records`
and written first.
"""

from __future__ import annotations

import importlib
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any

FIELDS = ("turn_id", "engine", "error_code", "stage", "device_id")
"""Record attributes that become journal fields (upper-cased: ``TURN_ID``)."""

_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def under_systemd(environ: dict[str, str] | None = None) -> bool:
    """True when stderr is connected to the journal by systemd."""
    env = os.environ if environ is None else environ
    return bool(env.get("JOURNAL_STREAM"))


def priority(levelno: int) -> int:
    """The syslog priority for a logging level."""
    for level in sorted(_PRIORITY, reverse=True):
        if levelno >= level:
            return _PRIORITY[level]
    return 7


class FieldsFilter(logging.Filter):
    """Copies the known ``extra`` attributes to upper-case journal field names.

    ``systemd.journal.JournalHandler`` sends every record attribute as a field
    and journald keeps only upper-case names, so ``turn_id`` becomes
    ``TURN_ID``. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                setattr(record, name.upper(), str(value))
        return True


class StderrFormatter(logging.Formatter):
    """Plain lines; with ``journal=True`` a ``<N>`` priority prefix for journald."""

    def __init__(self, *, journal: bool) -> None:
        plain = "%(asctime)s %(levelname)s %(name)s: %(message)s"
        super().__init__("%(name)s: %(message)s" if journal else plain)
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        values = {name: getattr(record, name, None) for name in FIELDS}
        fields = " ".join(f"{k}={v}" for k, v in values.items() if v is not None)
        if fields:
            text = f"{text} [{fields}]"
        if self.journal:
            text = "\n".join(f"<{priority(record.levelno)}>{line}" for line in text.splitlines())
        return text


def journal_handler(identifier: str = "kiosk") -> logging.Handler | None:
    """A ``systemd.journal.JournalHandler`` with :class:`FieldsFilter`, or None."""
    try:  # by name: the repository's own systemd/ folder would shadow it for mypy
        journal = importlib.import_module("systemd.journal")
    except ImportError:
        return None
    handler_cls: Any = getattr(journal, "JournalHandler", None)
    if handler_cls is None:
        return None
    handler: logging.Handler = handler_cls(SYSLOG_IDENTIFIER=identifier)
    handler.addFilter(FieldsFilter())
    return handler


def setup_logging(
    level: int = logging.INFO, *, identifier: str = "kiosk", journal: bool | None = None
) -> logging.Handler:
    """Install one root handler suited to where we run; returns it.

    ``journal`` forces the choice; by default it follows :func:`under_systemd`.
    Safe to call twice (the previous handler installed here is replaced).
    """
    use_journal = under_systemd() if journal is None else journal
    handler: logging.Handler | None = journal_handler(identifier) if use_journal else None
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(StderrFormatter(journal=use_journal))
    handler.set_name("kiosk-root")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "kiosk-root":
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


LOG_FILE_BYTES = 5 * 2**20
LOG_FILE_BACKUPS = 3
_startup: logging.handlers.MemoryHandler | None = None


def hold_startup_records(capacity: int = 2000) -> None:
    """Keep records from now on until :func:`log_to_file` knows where the file is."""
    global _startup
    if _startup is None:
        _startup = logging.handlers.MemoryHandler(capacity, flushLevel=logging.CRITICAL + 1)
        _startup.set_name("kiosk-startup")
        logging.getLogger().addHandler(_startup)


def log_to_file(path: Path) -> logging.Handler | None:
    """Also write the log to ``path`` (rotated at 5 MB, 3 kept); None if it cannot be opened.

    The records held since :func:`hold_startup_records` are written first.
    """
    global _startup
    root = logging.getLogger()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        handler = None  # type: ignore[assignment]
    if handler is not None:
        handler.setFormatter(StderrFormatter(journal=False))
        handler.set_name("kiosk-file")
        root.addHandler(handler)
    if _startup is not None:
        root.removeHandler(_startup)
        if handler is not None:
            _startup.setTarget(handler)
            _startup.flush()
        _startup.close()
        _startup = None
    return handler
