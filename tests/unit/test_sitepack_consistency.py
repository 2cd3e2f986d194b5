"""`kiosk sitepack check` warns, at file:line, about FAQ facts the network contradicts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from appliance.cli.nlu import main
from appliance.sitepack import bundled_sitepack_dir, check_sitepack, load_sitepack
from appliance.sitepack import network as net
from appliance.sitepack.consistency import money_pattern


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the one ``old`` in ``path``; return the 1-based line it was on."""
    text = path.read_text()
    assert text.count(old) == 1, old
    idx = text.index(old)
    path.write_text(text.replace(old, new, 1))
    return text[:idx].count("\n") + 1


def _warnings(root: Path) -> list[str]:
    pack, problems = check_sitepack(root)
    assert pack is not None, [str(p) for p in problems]  # warnings only: the pack loads
    return [str(p) for p in problems if p.severity == "warning"]


def _one(warnings: list[str], prefix: str, *words: str) -> None:
    hits = [w for w in warnings if w.startswith(prefix) and all(x in w for x in words)]
    assert len(hits) == 1, (prefix, words, warnings)


def test_bundled_pack_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    pack, problems = check_sitepack(bundled_sitepack_dir())
    assert pack is not None
    assert [str(p) for p in problems if p.file in ("faq.yaml", "lang/es.yaml")] == []
    assert main(["sitepack", "check", str(bundled_sitepack_dir())]) == 0
    assert "faq.yaml" not in capsys.readouterr().out


def test_journey_time_against_the_network(pack_copy: Path) -> None:
    line = _edit(pack_copy / "faq.yaml", "It's 4 stops and about 8 minutes.",
                 "It's 5 stops and about 15 minutes.")
    warnings = _warnings(pack_copy)
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'routes-airport' says 'about 15 minutes' "
         "from Central Square to Airport Terminal", "about 8 minutes", "network.yaml:2")
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'routes-airport' says '5 stops'",
         "gives 4 stops", "network.yaml:")
    load_sitepack(pack_copy)  # still loads


def test_a_rounded_journey_time_is_no_contradiction(pack_copy: Path) -> None:
    _edit(pack_copy / "faq.yaml", "about 8 minutes.", "about 9 minutes.")
    assert not any("routes-airport" in w for w in _warnings(pack_copy))


def test_line_and_direction_against_the_route(pack_copy: Path) -> None:
    line = _edit(pack_copy / "faq.yaml", "on Line 3, the Green Line, towards Greenfield.",
                 "on Line 2, the Blue Line, towards Hillcrest.")
    warnings = _warnings(pack_copy)
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'routes-union-station' says 'Line 2'",
         "takes Line 3")
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'routes-union-station' says "
         "'towards Hillcrest'", "towards Greenfield")


def test_two_answers_with_different_fares_for_one_trip(pack_copy: Path) -> None:
    faq = pack_copy / "faq.yaml"
    text = faq.read_text()
    faq.write_text(text + "  - id: fares-airport-again\n    intent: fare_inquiry\n"
                   "    question: What does a ticket to the airport cost?\n"
                   "    answer: A single to the airport costs 7 pounds 20.\n")
    line = text.count("\n") + 4
    warnings = _warnings(pack_copy)
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'fares-airport-again' says '7 pounds 20' "
         "for a single from Central Square to Airport Terminal", "6 pounds 50",
         "5 pounds 20", "network.yaml:")
    assert not any("'fares-airport'" in w for w in warnings)  # the one that agrees


def test_zone_fare_zone_and_card_discount(pack_copy: Path) -> None:
    faq = pack_copy / "faq.yaml"
    line = _edit(faq, "the airport is in zone 4. A single within zone 1 costs 2 pounds 20.",
                 "the airport is in zone 3. A single within zone 1 costs 2 pounds 50.")
    disc = _edit(faq, "is 20 percent cheaper", "is 25 percent cheaper")
    warnings = _warnings(pack_copy)
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'fares-zones' says 'the airport is in zone 3'",
         "Airport Terminal in zone 4")
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'fares-zones' says '2 pounds 50'",
         "within zone 1", "2 pounds 20")
    _one(warnings, f"faq.yaml:{disc}: warning: FAQ 'fares-harbourcard-discount' says "
         "'25 percent cheaper'", "20 percent", "network.yaml:")


def test_pass_price_against_the_network_and_between_answers(pack_copy: Path) -> None:
    line = _edit(pack_copy / "faq.yaml", "capped at 8 pounds 50 a day", "capped at 9 pounds a day")
    _one(_warnings(pack_copy), f"faq.yaml:{line}: warning: FAQ 'fares-day-cap' says '9 pounds'",
         "day pass", "8 pounds 50")
    # a price the network leaves out: two answers must still agree with each other
    _edit(pack_copy / "network.yaml", "  day_pass: 8.50\n", "")
    first = _edit(pack_copy / "faq.yaml", "Day passes are sold at every ticket machine",
                  "A day pass costs 8 pounds 50 at every ticket machine")
    warnings = _warnings(pack_copy)
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'fares-day-cap' says '9 pounds'",
         f"FAQ 'tickets-day-pass' (faq.yaml:{first}) says '8 pounds 50'")


def test_headway_and_last_train(pack_copy: Path) -> None:
    faq = pack_copy / "faq.yaml"
    line = _edit(faq, "the Green Line every 6", "the Green Line every 10")
    last = _edit(faq, "between 23:50 and 00:15", "between 23:50 and 01:00")
    warnings = _warnings(pack_copy)
    _one(warnings, f"faq.yaml:{line}: warning: FAQ 'trains-frequency' says "
         "'the Green Line ... every 10'", "every 6 minutes", "network.yaml:")
    _one(warnings, f"faq.yaml:{last}: warning: FAQ 'hours-first-last' says "
         "'last trains ... 01:00'", "between 23:50 and 00:15")
    assert len([w for w in warnings if w.startswith("faq.yaml")]) == 2


def test_other_numbers_are_not_read_as_fares_or_times(pack_copy: Path) -> None:
    faq = pack_copy / "faq.yaml"
    _edit(faq, "there is a 3 pound handling fee.",
          "there is a 3 pound handling fee at Union Station.")
    _edit(faq, "trains start an hour later, at about 6:30",
          "the first trains leave an hour later, at about 6:30")
    assert [w for w in _warnings(pack_copy) if w.startswith("faq.yaml")] == []


def test_json_report_has_file_and_line(pack_copy: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import json

    line = _edit(pack_copy / "faq.yaml", "about 8 minutes", "about 20 minutes")
    assert main(["sitepack", "check", "--json", str(pack_copy)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"]
    assert {"file": "faq.yaml", "line": line, "severity": "warning"}.items() <= next(
        p for p in report["problems"] if "routes-airport" in p["message"]).items()


# --- Spanish FAQ answers (lang/es.yaml) say Spanish money: "2 libras con 20" ---------------

ES_ZONES = "Un billete sencillo en la zona 1 cuesta 2 libras con 20."


@pytest.mark.parametrize("amount", [0.05, 1.0, 1.05, 1.45, 2.2, 2.9, 8.5, 32.0, 101.99])
@pytest.mark.parametrize("language", ["en", "es"])
def test_money_is_read_as_the_kiosk_says_it(amount: float, language: str) -> None:
    said = net.money(amount, "GBP", language)  # "1 pound 45", "1 libra con 45"
    found = [(m.group(), m.groups()) for m in money_pattern("GBP", language).finditer(said)]
    assert len(found) == 1 and found[0][0] == said, (said, found)
    whole, cents = next((g, c) for g, c in zip(found[0][1][::2], found[0][1][1::2],
                                                strict=True) if g is not None)
    assert int(whole) + int(cents or 0) / 100 == pytest.approx(amount)


def test_a_wrong_spanish_fare_is_caught(pack_copy: Path) -> None:
    # the check read English money only: '2 libras con 50' went unread
    es = pack_copy / "lang" / "es.yaml"
    line = _edit(es, ES_ZONES, "Un billete sencillo en la zona 1 cuesta 2 libras con 50. "
                 "Un billete sencillo reducido a Zoo cuesta 1 libra con 40. Uno sencillo "
                 "reducido a Old Town cuesta 1 libra con 10. El bono diario cuesta 9 libras "
                 "con 5.")
    warnings = [w for w in _warnings(pack_copy) if w.startswith("lang/es.yaml")]
    _one(warnings, f"lang/es.yaml:{line}: warning: FAQ 'fares-zones' says '2 libras con 50'",
         "en la zona 1", "the network gives 2 pounds 20", "network.yaml:")
    _one(warnings, f"lang/es.yaml:{line}: warning: FAQ 'fares-zones' says '1 libra con 40' for "
         "a single from Central Square to Zoo", "2 pounds 90")
    _one(warnings, f"lang/es.yaml:{line}: warning: FAQ 'fares-zones' says '9 libras con 5' for "
         "a day pass", "8 pounds 50")
    assert len(warnings) == 3, warnings  # '1 libra con 10' (Old Town's concession) is right


def test_a_right_spanish_fare_is_no_warning(pack_copy: Path) -> None:
    _edit(pack_copy / "lang" / "es.yaml", ES_ZONES, ES_ZONES + " Un billete sencillo reducido "
          "a Zoo cuesta 1 libra con 45. El bono de 7 días cuesta 32 libras. Si la máquina se "
          "queda con su dinero, el reembolso es de 5 libras.")
    assert [w for w in _warnings(pack_copy) if w.startswith("lang/es.yaml")] == []


def test_a_spanish_pass_price_the_network_lacks_must_agree_with_the_english(
        pack_copy: Path) -> None:
    _edit(pack_copy / "network.yaml", "  day_pass: 8.50\n", "")
    first = _edit(pack_copy / "faq.yaml", "Day passes are sold at every ticket machine",
                  "A day pass costs 8 pounds 50 at every ticket machine")
    line = _edit(pack_copy / "lang" / "es.yaml", ES_ZONES,
                 ES_ZONES + " El bono diario cuesta 9 libras.")
    _one(_warnings(pack_copy), f"lang/es.yaml:{line}: warning: FAQ 'fares-zones' says "
         "'9 libras'", f"FAQ 'tickets-day-pass' (faq.yaml:{first}) says '8 pounds 50'")
