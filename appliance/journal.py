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
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
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
