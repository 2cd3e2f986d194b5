"""A typed question's language among the site pack's (speech has the ASR's language ID)."""

from __future__ import annotations

import pytest

from appliance.language.text_language import TextLanguage
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack


@pytest.fixture(scope="module")
def detector() -> TextLanguage:
    return TextLanguage.for_pack(load_sitepack(bundled_sitepack_dir()))


@pytest.mark.parametrize(("text", "language"), [
    ("¿Dónde está el baño?", "es"), ("cuánto cuesta un billete al aeropuerto", "es"),
    ("hola", "es"), ("gracias", "es"), ("necesito ir a Central Park", "es"),
    ("Where is the toilet?", "en"), ("How much is a ticket to the airport?", "en"),
    ("help", "en"), ("I need a doctor", "en")])
def test_the_language_of_a_typed_question(detector: TextLanguage, text: str,
                                          language: str) -> None:
    assert detector.detect(text) == language


@pytest.mark.parametrize("text", ["Central Park", "Westfield", "taxi?", "", "123 !"])
def test_names_and_unsure_text_stay_in_the_packs_first_language(detector: TextLanguage,
                                                                 text: str) -> None:
    # the site's names are said alike in every language; they decide nothing
    assert detector.detect(text) == "en"


def test_one_language_is_always_that_language() -> None:
    only = TextLanguage({"en": ["where is the toilet"]}, "en")
    assert only.detect("¿dónde está el baño?") == "en"
    assert TextLanguage({"en": ["hello"], "es": []}, "en").languages == ["en"]


def test_a_pack_without_translations_answers_in_its_own_language(pack_dir: None = None) -> None:
    pack: SitePack = load_sitepack(bundled_sitepack_dir())
    pack.translations = {}
    assert TextLanguage.for_pack(pack).detect("¿dónde está el baño?") == pack.language
