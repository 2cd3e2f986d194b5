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
