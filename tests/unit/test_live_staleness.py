"""Live data carries its age: stale feeds say "no current information", old notices go."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from appliance.engines.nlu.base import NluResult
from appliance.engines.qa.base import DialogContext
from appliance.engines.qa.site_qa import SiteQa
from appliance.sitepack import bundled_sitepack_dir, check_sitepack, load_sitepack
from appliance.sitepack.live import LiveFeed, parse_time

NOW = 1_750_000_000.0  # the tests' clock: plain epoch seconds
MAX_AGE = 300  # the demo manifest's max_age_s for its feed


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat()


def _feed(generated: float | None, notices: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "departures": [
            {"line": "l1", "destination": "northgate", "platform": "1", "due_min": 2},
            {"line": "l1", "destination": "northgate", "platform": "1", "due_min": 6},
            {"line": "l3", "destination": "greenfield", "platform": "5", "due_min": 5},
        ],
        "notices": notices if notices is not None else [
            {"id": "N-1", "line": "l3", "severity": "minor", "status": "delayed",
             "text": "Minor delays on Line 3 because of a signal fault."}],
    }
    if generated is not None:
        doc["generated_at"] = _iso(generated)
    return doc


@pytest.fixture
def pack_dir(tmp_path: Path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst)
    return dst


def _qa(pack_dir: Path, feed: dict[str, Any], *, mtime: float = NOW) -> SiteQa:
    path = pack_dir / "live" / "feed.json"
    path.write_text(json.dumps(feed, indent=2))
    os.utime(path, (mtime, mtime))
    return SiteQa(load_sitepack(pack_dir), clock=lambda: NOW)


def _ask(qa: SiteQa, text: str, intent: str, **slots: str) -> tuple[str, str]:
    answer = qa.answer(text, NluResult(intent, 0.9, dict(slots)), DialogContext())
    return answer.text, answer.source


def test_stale_feed_says_no_current_train_times(pack_dir: Path) -> None:
    qa = _qa(pack_dir, _feed(NOW - 90 * 86400))  # a months-old export
    data = qa.live()
    assert not data.ok and data.stale and data.age_s == pytest.approx(90 * 86400)
    assert data.departures == [] and data.notices == []
    for slots in ({"station": "northgate"}, {"line": "l1"}, {}):
        text, source = _ask(qa, "when is the next train", "next_train", **slots)
        assert source == "template:next_train.stale", (slots, text)
        assert "don't have current train times" in text and "departure screens" in text
        assert "platform 1" not in text and "minute" not in text


def test_stale_feed_says_no_current_service_information(pack_dir: Path) -> None:
    qa = _qa(pack_dir, _feed(NOW - MAX_AGE - 1))
    for slots in ({"line": "l3"}, {}):
        text, source = _ask(qa, "is the green line running normally", "service_status",
                            **slots)
        assert source == "template:service_status.stale", text
        assert "don't have current service information" in text
        assert "signal fault" not in text and "running normally" not in text


def test_stale_feed_gives_no_lift_outage_or_route_disruption(pack_dir: Path) -> None:
    notices = [{"id": "N-9", "facility": "lift-exit-d", "severity": "info",
                "text": "The street lift at Exit D is out of service."}]
    qa = _qa(pack_dir, _feed(NOW - 3600, notices))
    text, _ = _ask(qa, "where is the lift", "find_elevator")
    assert "out of service" not in text


def test_fresh_feed_answers_live_and_counts_down_by_its_age(pack_dir: Path) -> None:
    qa = _qa(pack_dir, _feed(NOW - 60))
    text, source = _ask(qa, "when is the next train to northgate", "next_train",
                        station="northgate")
    assert source == "live:departures"
    assert "platform 1 in 1 minute, and the one after in 5 minutes" in text
    text, source = _ask(qa, "is line 3 ok", "service_status", line="l3")
    assert source == "live:notices" and "signal fault" in text
    assert qa.live().age_s == pytest.approx(60)


def test_train_already_gone_is_not_announced(pack_dir: Path) -> None:
    qa = _qa(pack_dir, _feed(NOW - 180))  # 3 minutes old: the train due in 2 has left
    text, source = _ask(qa, "next train to northgate", "next_train", station="northgate")
    assert source == "live:departures"
    assert "platform 1 in 3 minutes." in text and "in 2 minutes" not in text


def test_without_generated_at_the_file_time_is_the_age(pack_dir: Path) -> None:
    qa = _qa(pack_dir, _feed(None), mtime=NOW - 1000)
    assert qa.live().stale
    assert _ask(qa, "next train", "next_train", line="l1")[1] == "template:next_train.stale"
    qa = _qa(pack_dir, _feed(None), mtime=NOW - 10)
    assert qa.live().ok and not qa.live().stale
    assert _ask(qa, "next train", "next_train", line="l1")[1] == "live:departures"


def test_expired_notice_is_dropped(pack_dir: Path) -> None:
    notices = [
        {"id": "N-old", "line": "l3", "text": "Signal fault at Union Station.",
         "until": _iso(NOW - 60)},
        {"id": "N-now", "line": "l3", "text": "Lakeside is closed for repairs.",
         "until": _iso(NOW + 3600)},
        {"id": "N-open", "line": "l3", "text": "Trains are busy after the match."},
    ]
    qa = _qa(pack_dir, _feed(NOW - 30, notices))
    assert [n.id for n in qa.live().notices] == ["N-now", "N-open"]
    text, source = _ask(qa, "is line 3 running", "service_status", line="l3")
    assert source == "live:notices"
    assert "Lakeside" in text and "busy" in text and "Signal fault" not in text


def test_all_notices_expired_means_running_normally(pack_dir: Path) -> None:
    notices = [{"id": "N-old", "line": "l3", "text": "Signal fault.", "until": _iso(NOW - 1)}]
    qa = _qa(pack_dir, _feed(NOW - 30, notices))
    text, source = _ask(qa, "is line 3 running", "service_status", line="l3")
    assert source == "live:notices" and "running normally" in text


def test_the_feed_is_re_judged_as_time_passes(pack_dir: Path) -> None:
    path = pack_dir / "live" / "feed.json"
    path.write_text(json.dumps(_feed(NOW)))
    pack = load_sitepack(pack_dir)
    feed = LiveFeed(pack.root, pack.manifest.feeds[0], pack.slots)
    assert feed.get(NOW + 10).ok
    later = feed.get(NOW + MAX_AGE + 10)
    assert later.stale and not later.ok and later.age_s == pytest.approx(MAX_AGE + 10)
    assert feed.get(NOW + 20).ok  # the cached parse is not spoiled by a stale view


def test_bundled_demo_feed_is_sample_data_and_stays_usable() -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    qa = SiteQa(pack, clock=lambda: NOW + 10 * 365 * 86400)  # years after it was made
    data = qa.live()
    assert data.ok and data.sample and not data.stale
    assert {n.id for n in data.notices} == {"N-2041", "N-2044"}  # as of its generated_at
    text, source = _ask(qa, "when is the next train to northgate", "next_train",
                        station="northgate")
    assert source == "live:departures" and "platform 1 in 2 minutes" in text


@pytest.mark.parametrize(("text", "ok"), [
    ("2025-06-02T18:00:00+01:00", True), ("2025-06-02T17:00Z", True),
    ("2025-06-02 17:00:00+00:00", True), ("18:00", False), ("2025-06-02", False),
    ("2025-06-02T18:00:00", False), ("tomorrow", False), ("", False),
])
def test_parse_time_needs_date_time_and_zone(text: str, ok: bool) -> None:
    assert (parse_time(text) is not None) is ok


def test_parse_time_value() -> None:
    assert parse_time("2025-06-02T18:00:00+01:00") == parse_time("2025-06-02T17:00:00Z")
    assert parse_time(_iso(NOW)) == NOW


def test_check_warns_about_an_until_without_a_date(pack_dir: Path) -> None:
    path = pack_dir / "live" / "feed.json"
    text = path.read_text()
    old = '"until": "2025-06-02T10:00:00+01:00"'
    line = text[:text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, '"until": "10:00"'))
    pack, problems = check_sitepack(pack_dir)
    assert pack is not None  # a warning: the pack still loads
    assert any(str(p).startswith(f"live/feed.json:{line}: warning:") and "'10:00'" in str(p)
               for p in problems), [str(p) for p in problems]
