"""Journal logging: structured fields under systemd, plain text elsewhere."""

from __future__ import annotations

import logging

import pytest

from appliance.system import journal


def record(**extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("appliance.asr", logging.ERROR, __file__, 1, "ASR failed", (), None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_fields_become_journal_names() -> None:
    rec = record(turn_id=42, engine="whisper", error_code="asr-failed")
    assert journal.FieldsFilter().filter(rec)
    assert rec.TURN_ID == "42"
    assert rec.ENGINE == "whisper"
    assert rec.ERROR_CODE == "asr-failed"


def test_stderr_format_under_journal_has_priority_and_fields() -> None:
    text = journal.StderrFormatter(journal=True).format(record(turn_id=7, engine="piper"))
    assert text.startswith("<3>appliance.asr: ASR failed")
    assert "turn_id=7" in text and "engine=piper" in text


def test_priority_mapping() -> None:
    assert journal.priority(logging.DEBUG) == 7
    assert journal.priority(logging.INFO) == 6
    assert journal.priority(logging.WARNING) == 4
    assert journal.priority(logging.CRITICAL) == 2


def test_setup_picks_plain_handler_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        handler = journal.setup_logging(logging.DEBUG)
        assert isinstance(handler, logging.StreamHandler)
        assert journal.setup_logging(logging.DEBUG) in root.handlers
        assert sum(h.get_name() == "kiosk-root" for h in root.handlers) == 1
    finally:
        for h in list(root.handlers):
            if h.get_name() == "kiosk-root":
                root.removeHandler(h)
        root.handlers[:] = before[0]
        root.setLevel(before[1])


def test_setup_under_systemd_uses_the_journal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    assert journal.under_systemd()
    handler = journal.journal_handler()
    if handler is None:
        pytest.skip("systemd-python is not installed")
    assert any(isinstance(f, journal.FieldsFilter) for f in handler.filters)
