"""A pack's second language: lang/<code>.yaml examples, templates and FAQ answers."""

from __future__ import annotations

import shutil
from pathlib import Path

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
