"""A pack's second language: lang/<code>.yaml examples, templates and FAQ answers."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from appliance.engines.nlu.slots import SlotExtractor
from appliance.engines.nlu.training import intent_examples
from appliance.sitepack import bundled_sitepack_dir, check_sitepack, load_sitepack


def test_metro_demo_speaks_spanish() -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    assert pack.manifest.languages == ["en", "es"]
    es = pack.translations["es"]
    assert "dónde están los baños" in es.examples["find_toilet"]
    assert es.faq["toilets-where"].answer.startswith("Los baños")
    templates = pack.templates_for("es")
    assert templates["greeting"]["default"].startswith("¡Hola!")
    # a case the translation leaves out is the first language's
    assert templates["find_elevator"]["outage"] == pack.templates["find_elevator"]["outage"]
    assert pack.templates_for("en") == pack.templates
    attract = dict(pack.manifest.screen_lines().attract)
    assert attract["es"].startswith("¡Hola!")


def test_spanish_lines_train_the_intent_head() -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    texts, labels = intent_examples(pack)
    pairs = set(zip(texts, labels, strict=True))
    assert ("dónde están los baños", "find_toilet") in pairs
    assert ("he perdido mi cartera", "lost_and_found") in pairs


def test_a_translation_of_an_unknown_intent_or_faq_is_an_error(tmp_path: Path) -> None:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst, ignore=shutil.ignore_patterns("eval"))
    path = dst / "lang" / "es.yaml"
    path.write_text(path.read_text().replace("  find_toilet: [", "  find_loo: [", 1)
                    .replace("  toilets-where:\n", "  toilets-nowhere:\n", 1))
    pack, problems = check_sitepack(dst)
    assert pack is None
    messages = [p.message for p in problems if p.file == "lang/es.yaml"]
    assert any("unknown intent 'find_loo'" in m for m in messages)
    assert any("unknown FAQ id 'toilets-nowhere'" in m for m in messages)


def test_every_template_case_of_the_first_language_is_in_spanish() -> None:
    # a case the translation leaves out is said in English to a Spanish visitor: the check
    # warns about each one, and the demo pack has none left out
    pack, problems = check_sitepack(bundled_sitepack_dir())
    assert pack is not None
    missing = [str(p) for p in problems if "not in lang/es.yaml" in p.message]
    assert missing == []
    es = pack.translations["es"].templates
    assert [f"{i}.{c}" for i, cases in pack.templates.items() for c in cases
            if c not in es.get(i, {})] == []


def test_a_template_case_left_out_of_a_translation_is_a_warning(tmp_path: Path) -> None:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst, ignore=shutil.ignore_patterns("eval"))
    path = dst / "lang" / "es.yaml"
    lines = path.read_text().splitlines(keepends=True)
    start = lines.index("templates:\n")
    at = next(i for i, line in enumerate(lines)
              if i > start and line.startswith("  route_planning:"))
    assert lines[at + 1].startswith("    default:")
    del lines[at + 1]
    path.write_text("".join(lines))
    pack, problems = check_sitepack(dst)
    assert pack is not None  # a warning: the case is said in the first language
    warned = [p for p in problems if p.severity == "warning" and p.file == "lang/es.yaml"
              and "route_planning.default" in p.message]
    assert len(warned) == 1 and warned[0].line == at + 1, [str(p) for p in problems]


def test_spanish_names_tickets_and_lines_in_spanish() -> None:
    # lang/es.yaml's slots: the names Spanish answers say; stations keep their names
    pack = load_sitepack(bundled_sitepack_dir())
    assert pack.slot_name("ticket_type", "day_pass", "es") == "bono diario"
    assert pack.slot_name("ticket_type", "week_pass", "es") == "bono de 7 días"
    assert pack.slot_name("line", "l1", "es") == "Línea 1 (línea roja)"
    assert pack.slot_name("station", "zoo", "es") == "Zoo"
    # the first language, and any language without a translation, as before
    assert pack.slot_name("ticket_type", "day_pass") == "day pass"
    assert pack.slot_name("ticket_type", "day_pass", "en") == "day pass"
    assert pack.slot_name("line", "l1", "fr") == "Line 1 (Red Line)"


@pytest.mark.parametrize(("text", "slots"), [
    ("¿cuánto cuesta el bono diario?", {"ticket_type": "day_pass"}),
    ("qué precio tiene el bono de 7 dias", {"ticket_type": "week_pass"}),
    ("un billete de ida y vuelta al zoo", {"ticket_type": "return", "station": "zoo"}),
    ("¿funciona la línea roja?", {"line": "l1"}),
    ("funciona la linea verde", {"line": "l3"}),
    ("how much is a day pass", {"ticket_type": "day_pass"}),
    ("is the red line running", {"line": "l1"}),
])
def test_spanish_ticket_and_line_words_are_understood(text: str, slots: dict[str, str]) -> None:
    pack = load_sitepack(bundled_sitepack_dir())
    assert SlotExtractor(pack).extract(text) == slots


def test_spanish_slot_words_do_not_change_the_english_training_lines() -> None:
    # they are understood, not trained on: "i want a {ticket_type} please" is never filled
    # with "bono diario", and the English lines are the ones trained before
    pack = load_sitepack(bundled_sitepack_dir())
    es = pack.translations["es"]
    bare = replace(pack, translations={"es": replace(es, slots={})})
    assert intent_examples(pack) == intent_examples(bare)


def test_a_translated_slot_value_the_pack_lacks_is_an_error(tmp_path: Path) -> None:
    dst = tmp_path / "pack"
    shutil.copytree(bundled_sitepack_dir(), dst, ignore=shutil.ignore_patterns("eval"))
    path = dst / "lang" / "es.yaml"
    text = path.read_text()
    lines = text.splitlines()
    path.write_text(text + "  exit:\n    z: Salida Z\n  colour: {red: rojo}\n"
                    "  traveller: {adult: {name: adulto, synonyms: [bono diario]}}\n")
    pack, problems = check_sitepack(dst)
    assert pack is None
    found = {p.message: p.line for p in problems if p.file == "lang/es.yaml"}
    assert found.get("translation of unknown exit value 'z'") == len(lines) + 2, found
    assert found.get("translation of unknown slot type 'colour'") == len(lines) + 3, found
    # a word of another slot (the day pass's Spanish synonym) is a warning, as in slots.yaml
    assert any(p.severity == "warning" and "'bono diario' is also used by ticket_type"
               in p.message for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize(("text", "slots"), [
    ("¿cómo llego al aeropuerto?", {"station": "airport_terminal"}),
    ("cuánto cuesta un billete al jardín botánico", {"station": "botanic_garden"}),
    ("quiero ir a la universidad", {"station": "university"}),
    ("qué salida tomo para el centro comercial", {"exit": "c"}),
])
def test_spanish_station_and_place_words_are_understood(text: str,
                                                        slots: dict[str, str]) -> None:
    """Stations keep their names; Spanish visitors' words for them are lang/es.yaml's."""
    assert SlotExtractor(load_sitepack(bundled_sitepack_dir())).extract(text) == slots


def test_a_notice_in_a_spanish_answer_is_said_in_spanish() -> None:
    """The feed's notices are English: a line's delay is said from its kind, another
    notice is marked as English, a feed's own Spanish text wins; English is the feed's."""
    from appliance.engines.nlu.base import NluResult
    from appliance.engines.qa.base import DialogContext
    from appliance.engines.qa.site_qa import SiteQa
    from appliance.sitepack.live import Notice

    qa = SiteQa(load_sitepack(bundled_sitepack_dir()))
    delay = Notice(id="N-1", text="Minor delays on Line 3.", line="l3", status="delayed")
    lift = Notice(id="N-2", text="The lift at Exit D is out of service.",
                  facility="lift-exit-d", status="out_of_service")
    said = Notice(id="N-3", text="Line 2 is closed.", line="l2", status="closed",
                  texts={"es": "La línea 2 está cerrada."})
    qa._speak_in("es")
    assert qa._notices([delay, lift, said]) == (
        "Hay retrasos en la Línea 3 (línea verde). The lift at Exit D is out of service. "
        "(aviso solo en inglés) La línea 2 está cerrada.")
    answer = qa.answer("¿hay retrasos?", NluResult("service_status", 1.0, language="es"),
                       DialogContext())
    assert answer is not None and answer.text == "Hay retrasos en la Línea 3 (línea verde)."
    qa._speak_in("en")
    assert qa._notices([delay, said]) == "Minor delays on Line 3. Line 2 is closed."
