"""Site pack loading and validation: the bundled demo is valid, broken packs name file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from appliance.cli.nlu import main
from appliance.sitepack import (
    REQUIRED_INTENTS,
    SitePackError,
    bundled_sitepack_dir,
    check_sitepack,
    load_sitepack,
)
from appliance.sitepack.templating import placeholders, render

DEMO_INTENTS = {"greeting", "farewell", "thanks", "ticket_purchase", "fare_inquiry",
                "route_planning", "next_train", "service_status", "find_toilet", "find_exit",
                "find_elevator", "lost_and_found", "opening_hours", "wifi", "card_topup",
                "refund", "help_human", "emergency", "smalltalk", "repeat", "stop",
                "out_of_scope"}


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in ``path``; return the 1-based line it was on."""
    text = path.read_text()
    idx = text.index(old)
    path.write_text(text.replace(old, new, 1))
    return text[:idx].count("\n") + 1


def _errors(root: Path) -> list[str]:
    pack, problems = check_sitepack(root)
    assert pack is None
    return [str(p) for p in problems if p.severity == "error"]


def test_demo_pack_is_valid_and_complete() -> None:
    pack, problems = check_sitepack(bundled_sitepack_dir())
    assert pack is not None, [str(p) for p in problems]
    assert set(pack.intents) == DEMO_INTENTS
    assert set(REQUIRED_INTENTS) <= set(pack.intents)
    assert len(pack.faq) >= 80
    assert {"line", "station", "exit"} <= set(pack.slots)
    assert pack.manifest.station == "central_square"
    assert all((pack.root / m).is_file() for m in pack.manifest.media.values())


def test_yaml_syntax_error_names_the_line(pack_copy: Path) -> None:
    line = _edit(pack_copy / "faq.yaml", "  - id: wifi-password\n", "  - id: [wifi-password\n")
    errors = _errors(pack_copy)
    assert any(e.startswith("faq.yaml:") and "syntax error" in e for e in errors)
    assert any(e.startswith(f"faq.yaml:{line}") or e.startswith(f"faq.yaml:{line + 1}")
               for e in errors), errors


def test_unknown_intent_and_duplicate_id_in_faq(pack_copy: Path) -> None:
    line = _edit(pack_copy / "faq.yaml", "intent: wifi\n", "intent: wiffy\n")
    dup = _edit(pack_copy / "faq.yaml", "id: toilets-hours", "id: toilets-where")
    errors = _errors(pack_copy)
    assert f"faq.yaml:{line}: error: unknown intent 'wiffy'" in errors
    assert f"faq.yaml:{dup}: error: duplicate FAQ id 'toilets-where'" in errors


def test_missing_required_intent_and_few_examples(pack_copy: Path) -> None:
    _edit(pack_copy / "intents.yaml", "  - name: emergency\n", "  - name: danger\n")
    errors = _errors(pack_copy)
    assert any("missing required intents: emergency" in e for e in errors)


def test_example_with_undeclared_slot(pack_copy: Path) -> None:
    line = _edit(pack_copy / "intents.yaml", "      - where is the toilet\n",
                 "      - where is the toilet near {station}\n")
    errors = _errors(pack_copy)
    assert any(e.startswith(f"intents.yaml:{line}:") and "{station}" in e for e in errors)


def test_same_example_in_two_intents(pack_copy: Path) -> None:
    line = _edit(pack_copy / "intents.yaml", "      - hiya\n", "      - thank you\n")
    errors = _errors(pack_copy)
    assert any(e.startswith("intents.yaml:") and "also an example of 'greeting'" in e
               for e in errors), (line, errors)


def test_network_unknown_station_and_bad_time(pack_copy: Path) -> None:
    line = _edit(pack_copy / "network.yaml", 'first_train: "05:45"', 'first_train: "5.45am"')
    _edit(pack_copy / "network.yaml", "chinatown, union_station, medical_centre",
          "chinatown, union_station, medical_center")
    errors = _errors(pack_copy)
    assert any(e.startswith(f"network.yaml:{line}:") and "HH:MM" in e for e in errors)
    assert any("unknown station 'medical_center'" in e for e in errors)


def test_template_placeholder_and_case(pack_copy: Path) -> None:
    line = _edit(pack_copy / "templates.yaml", "{exit_directions}", "{exit_direction}")
    bad = _edit(pack_copy / "templates.yaml", "    nothing:", "    nuthing:")
    errors = _errors(pack_copy)
    assert any(e.startswith(f"templates.yaml:{line}:") and "exit_direction" in e for e in errors)
    assert any(e.startswith(f"templates.yaml:{bad}:") and "'nuthing'" in e for e in errors)


def test_a_count_placeholder_picks_the_form_that_agrees() -> None:
    text = "That's {stops:# stop|# stops}, about {minutes:# minute|# minutes}."
    assert placeholders(text) == ["stops", "minutes"]
    assert render({"r": {"c": text}}, "r", "c", {"stops": 1, "minutes": 2}) \
        == "That's 1 stop, about 2 minutes."
    assert render({"r": {"c": text}}, "r", "c", {"stops": 3, "minutes": 1.0}) \
        == "That's 3 stops, about 1 minute."
    es = "{stops:Es # parada|Son # paradas}."
    assert render({"r": {"c": es}}, "r", "c", {"stops": 1}) == "Es 1 parada."
    assert render({"r": {"c": es}}, "r", "c", {"stops": 0}) == "Son 0 paradas."
    # an old pack's plain count still renders as it did
    assert render({"r": {"c": "{stops} stops"}}, "r", "c", {"stops": 2}) == "2 stops"
    for bad in ("{stops:>5}", "{stops:one|two|three}", "{stops!r}"):
        with pytest.raises(ValueError):
            placeholders(bad)


def test_a_template_count_with_a_bad_form_names_its_line(pack_copy: Path) -> None:
    line = _edit(pack_copy / "templates.yaml", "{direction}. That's {stops:# stop|# stops}",
                 "{direction}. That's {stops:d}")
    errors = _errors(pack_copy)
    assert any(e.startswith(f"templates.yaml:{line}:") and "stops" in e for e in errors)


def test_feed_and_media_problems(pack_copy: Path) -> None:
    line = _edit(pack_copy / "live/feed.json", '"destination": "seaside"',
                 '"destination": "atlantis"')
    (pack_copy / "media/exits-map.png").write_bytes(b"not an image")
    errors = _errors(pack_copy)
    assert any(e.startswith(f"live/feed.json:{line}:") and "atlantis" in e for e in errors)
    assert any("exits-map.png' is not a PNG" in e for e in errors)


def test_broken_json_feed_names_line(pack_copy: Path) -> None:
    line = _edit(pack_copy / "live/feed.json", '"due_min": 6}', '"due_min": 6,}')
    errors = _errors(pack_copy)
    assert any(e.startswith(f"live/feed.json:{line}:") for e in errors), errors


def test_load_raises_with_problems(pack_copy: Path) -> None:
    (pack_copy / "slots.yaml").unlink()
    with pytest.raises(SitePackError) as info:
        load_sitepack(pack_copy)
    assert info.value.code == "sitepack-invalid"
    assert any(p.file == "slots.yaml" and "missing" in p.message for p in info.value.problems)


def test_cli_check(pack_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sitepack", "check", str(bundled_sitepack_dir())]) == 0
    assert "ok: metro-demo" in capsys.readouterr().out
    _edit(pack_copy / "manifest.yaml", "version: 1.2.0", "version: one")
    assert main(["sitepack", "check", str(pack_copy)]) == 1
    out = capsys.readouterr().out
    assert "manifest.yaml:4: error: version 'one'" in out
