"""The on-disk outbox: order, seq across restarts, shedding rules, acks."""

from __future__ import annotations

import json
from pathlib import Path

from appliance.telemetry.outbox import Outbox


def test_seq_is_ordered_and_survives_reopen_and_deletes(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    seqs = [box.put("t", {"i": i}) for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    box.ack(seqs)
    assert len(box) == 0
    box.close()
    box = Outbox(tmp_path / "o.db")
    assert box.put("t", {"i": 5}) == 6
    msg = box.batch(0, 10)[0]
    assert json.loads(msg.payload) == {"i": 5, "seq": 6}
    box.close()


def test_batches_come_oldest_first_after_a_cursor(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    for i in range(10):
        box.put("t", {"i": i})
    first = box.batch(0, 4)
    assert [m.seq for m in first] == [1, 2, 3, 4]
    assert [m.seq for m in box.batch(first[-1].seq, 100)] == list(range(5, 11))
    box.close()


def test_oldest_telemetry_is_shed_never_critical(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_messages=5)
    alarm = box.put("evt/overheat", {}, critical=True)
    reply = box.put("res", {}, critical=True, correlation=b"c", expires_at=1e12)
    tele = [box.put("health", {"n": i}) for i in range(10)]
    kept = [m.seq for m in box.batch(0, 100)]
    assert kept == [alarm, reply, *tele[-3:]]
    assert box.shed_total == 7 and len(box) == 5
    assert box.batch(0, 100)[1].correlation == b"c"
    box.close()
    assert Outbox(tmp_path / "o.db").shed_total == 7


def test_counters_persist(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    assert box.next_counter("bdseq") == 1
    box.close()
    box = Outbox(tmp_path / "o.db")
    assert box.next_counter("bdseq") == 2
    box.close()


def _fill_the_disk(box: Outbox) -> None:
    """SQLite's page limit gives the real SQLITE_FULL ("database or disk is full")."""
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count={pages}")


def _free_the_disk(box: Outbox) -> None:
    box._db.execute("PRAGMA max_page_count=1073741823")


def test_a_full_disk_sheds_telemetry_with_a_reason_and_keeps_alarms(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    first = box.put("health", {"n": 0})
    _fill_the_disk(box)
    big = {"blob": "x" * 8000}
    refused = [box.put("health", big) for _ in range(20)]
    assert refused.count(0) >= 19  # at most one still fitted
    assert box.shed_reasons["disk-full"] == refused.count(0)
    assert "full" in box.last_error
    # the count is recomputed, never drifts
    assert len(box) == box._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert box.put("evt/help_human", big, critical=True) == 0
    assert box.spilled == 1
    assert box.next_counter("bdseq") >= 1  # the agent can still reconnect
    _free_the_disk(box)
    assert box.flush_spill() == 1 and box.spilled == 0
    rows = box.batch(0, 100)
    assert rows[0].seq == first and rows[-1].topic == "evt/help_human"
    # every refused telemetry message spent its seq: the fleet sees the gap
    assert rows[-1].seq >= first + refused.count(0) + 1
    box.close()


def test_a_failed_insert_rolls_back_cleanly(tmp_path: Path) -> None:
    """SQLite rolls back by itself on SQLITE_FULL; the outbox must not raise
    'no transaction is active' nor leave a transaction open."""
    box = Outbox(tmp_path / "o.db")
    _fill_the_disk(box)
    for _ in range(5):
        box.put("health", {"blob": "y" * 8000})
    assert not box._db.in_transaction
    assert "no transaction" not in box.last_error
    _free_the_disk(box)
    assert box.put("health", {}) > 0
    box.close()


def test_dead_letters_leave_the_queue_and_are_kept(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    bad = box.put("res/#", {"x": 1}, critical=True)
    good = box.put("health", {})
    assert box.dead_letter(bad, "cannot publish: ValueError('wildcard')")
    assert [m.seq for m in box.batch(0, 10)] == [good]
    assert len(box) == 1 and box.dead_total == 1
    assert box.dead_letters()[0]["seq"] == bad
    assert "wildcard" in box.dead_letters()[0]["reason"]
    box.close()
    assert Outbox(tmp_path / "o.db").dead_total == 1
