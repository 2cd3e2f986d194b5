"""The fleet store on SQLite and on a real (throwaway) PostgreSQL: same answers, same dedup."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import SITE, broker_config, wait_for

from appliance.fleet import cli
from appliance.fleet.ingest import Ingester
from appliance.fleet.store import Incoming, Store, connect


def _msg(device: str, kind: str, body: dict[str, Any], site: str = SITE) -> Incoming:
    return Incoming(f"kiosk/v1/{site}/{device}/{kind}", json.dumps(body).encode(), time.time())


def _traffic() -> list[Incoming]:
    """A little of everything, with replays, a stale will and junk."""
    return [
        _msg("dev-a", "state", {"online": True, "bdSeq": 3, "reason": "connected"}),
        _msg("dev-a", "birth", {"bdSeq": 3, "firmware": "1.2", "capabilities": ["update"]}),
        _msg("dev-a", "health", {"seq": 10, "ts": 1.5e9, "system": {"cpu_pct": 12}}),
        _msg("dev-a", "health", {"seq": 9, "ts": 1.5e9, "system": {"cpu_pct": 99}}),  # older
        _msg("dev-a", "evt/overheat", {"seq": 11, "ts": 1.5e9 + 0.25, "temp_c": 91}),
        _msg("dev-a", "evt/update", {"seq": 12, "stage": "done"}),
        _msg("dev-a", "evt/update", {"seq": 12, "stage": "done", "historical": True}),  # replay
        _msg("dev-a", "cfg/reported", {"seq": 13, "version": 4, "status": "applied"}),
        _msg("dev-a", "res", {"seq": 14, "id": "c1", "status": "ok"}),
        _msg("dev-a", "state", {"online": False, "bdSeq": 2, "reason": "lost"}),  # late old will
        _msg("dev-b", "state", {"online": False, "bdSeq": 1, "reason": "lost"}, site="other"),
        _msg("dev-b", "health", {"seq": 2**63, "ts": 1}, site="other"),  # out of range
        _msg("dev-b", "evt/tick", {"seq": "7"}, site="other"),  # not a seq
        Incoming(f"kiosk/v1/{SITE}/dev-a/health", b"{not json", time.time()),
        Incoming("somewhere/else", b"{}", time.time()),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (str(tmp_path / "fleet.db") if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    s = connect(url)
    yield s
    s.close()


def _comparable(devices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in d.items() if k not in ("age_s", "last_seen")} for d in devices]


def test_store_semantics(store: Store) -> None:
    store.ingest(_traffic())
    assert (store.stored, store.duplicates) == (6, 1)  # history rows; state/birth are latest
    assert store.ignored == 4
    devices = {d["device_id"]: d for d in store.devices()}
    a = devices["dev-a"]
    assert a["online"] and a["bdseq"] == 3 and a["reason"] == "connected"  # old will ignored
    assert a["health"]["system"]["cpu_pct"] == 12  # the older report did not win
    assert (a["alarms"], a["last_alarm"]) == (1, "overheat")
    assert a["cfg"]["version"] == 4
    assert [d["device_id"] for d in store.devices("other")] == ["dev-b"]
    info = store.device("dev-a")
    assert info is not None and info["birth"]["firmware"] == "1.2"
    assert [e["seq"] for e in info["recent"]] == [14, 13, 12, 11]
    assert info["recent"][-1]["ts"] == 1.5e9 + 0.25  # full double precision
    assert store.seqs("dev-a") == [9, 10, 11, 12, 13, 14]
    assert store.seqs("dev-a", "evt/update") == [12]
    assert store.device("nobody") is None


def test_sqlite_and_postgresql_give_the_same_answers(pg_url: str, tmp_path: Path) -> None:
    traffic = _traffic()
    with connect(str(tmp_path / "fleet.db")) as lite, connect(pg_url) as pg:
        for s in (lite, pg):
            s.ingest(traffic[:6])
            s.ingest(traffic[6:])
        assert _comparable(lite.devices()) == _comparable(pg.devices())
        one, two = lite.device("dev-a"), pg.device("dev-a")
        assert one is not None and two is not None
        assert _comparable([one]) == _comparable([two])
        assert lite.seqs("dev-a") == pg.seqs("dev-a")


def test_concurrent_postgresql_writers_store_each_seq_once(pg_url: str) -> None:
    """Two ingesters on other machines: overlapping batches in different orders."""
    messages = [_msg(f"dev-{d}", "evt/tick", {"seq": s, "ts": time.time()})
                for d in range(20) for s in range(1, 31)]
    stores = [connect(pg_url), connect(pg_url)]
    errors: list[BaseException] = []

    def writer(store: Store, seed: int) -> None:
        rng = random.Random(seed)
        mine = messages[:]
        rng.shuffle(mine)
        try:
            for i in range(0, len(mine), 50):
                store.ingest(mine[i:i + 50])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s, i)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert not errors
        assert sum(s.stored for s in stores) == len(messages)
        assert sum(s.duplicates for s in stores) == len(messages)
        assert all(stores[0].seqs(f"dev-{d}") == list(range(1, 31)) for d in range(20))
    finally:
        for s in stores:
            s.close()


def test_ingesters_and_console_on_postgresql(broker: Any, pki: Any, make_agent: Any,
                                             pg_url: str, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    store_a, store_b = connect(pg_url), connect(pg_url)
    a = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-a")), store_a).start()
    b = Ingester(broker_config(broker, pki, pki.fleet_identity("fleet.ingest-b")), store_b).start()
    try:
        agents = [make_agent(f"dev-pg{i}") for i in range(2)]
        for agent in agents:
            wait_for(lambda agent=agent: agent.listening, what="connect")
        sent = {ag.topics.device_id: [ag.publish_event("tick", {"i": i}) for i in range(30)]
                for ag in agents}
        for dev, seqs in sent.items():
            wait_for(lambda dev=dev, seqs=seqs: set(seqs) <= set(store_a.seqs(dev, "evt/tick")),
                     what=f"{dev} stored in PostgreSQL")
    finally:
        a.stop()
        b.stop()
        store_a.close()
        store_b.close()
    cfg = broker_config(broker, pki)
    assert cli.main(["--broker", f"localhost:{cfg.port}", "--ca", cfg.ca_file, "--cert",
                     cfg.cert_file, "--key", cfg.key_file, "--db", pg_url, "--json",
                     "devices"]) == 0
    listed = json.loads(capsys.readouterr().out)["devices"]
    assert {d["device_id"] for d in listed} == {"dev-pg0", "dev-pg1"}
    assert all(d["online"] for d in listed)


def test_an_unreachable_postgresql_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("psycopg")
    from appliance.telemetry.mosquitto import free_port

    code = cli.main(["--db", f"postgresql://kiosk@127.0.0.1:{free_port()}/fleet", "devices"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("kiosk-fleet: error: cannot open the fleet database")
    assert len(err.strip().splitlines()) == 1
