"""The second language's engine parts: language ID restricted to the pack's languages,
the espeak-ng voice, and one voice per language."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from appliance.engines.asr.whisper import WhisperAsr
from appliance.engines.tts.espeak import EspeakTts, ipa_phonemes, spread
from appliance.engines.tts.fake import FakeTts
from appliance.engines.tts.languages import LanguageVoices


def _asr(languages: list[str], probs: list[tuple[str, float]]) -> WhisperAsr:
    asr = object.__new__(WhisperAsr)
    asr.language, asr.languages = "en", languages
    asr._language_probs = lambda audio: probs  # type: ignore[method-assign]
    return asr


def test_language_id_picks_the_likeliest_of_the_packs_languages() -> None:
    # Whisper's own first choice (Portuguese) is not the pack's: Spanish is the likeliest
    asr = _asr(["en", "es"], [("pt", 0.5), ("es", 0.3), ("en", 0.1)])
    assert asr.detect(np.zeros(16000, np.float32)) == ("es", 0.3)


def test_one_language_needs_no_language_id() -> None:
    asr = _asr([], [("es", 0.9)])
    assert asr.detect(np.zeros(16000, np.float32)) == ("en", 1.0)


def test_ipa_phonemes_keep_length_and_drop_stress() -> None:
    assert ipa_phonemes("dˈonde estˈaːn") == ["d", "o", "n", "d", "e", " ", "e", "s", "t",
                                              "aː", "n"]


def test_spread_covers_the_span_vowels_longer() -> None:
    laid = spread(["b", "a"], 0.1, 0.4)
    assert laid[0][1] == 0.1 and laid[-1][2] == pytest.approx(0.4)
    assert (laid[1][2] - laid[1][1]) == pytest.approx(2 * (laid[0][2] - laid[0][1]))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_speaks_spanish_with_phonemes_per_sentence() -> None:
    chunks = list(EspeakTts("es").synthesize("¿Dónde están los baños? Junto a la salida C."))
    assert [c.text for c in chunks] == ["¿Dónde están los baños?", "Junto a la salida C."]
    for c in chunks:
        assert c.sample_rate == 22050 and c.duration > 0.5
        assert c.phonemes and c.phonemes[-1][2] <= c.duration + 1e-6
        assert {"o", "a"} & {p for p, _s, _e in c.phonemes}


def test_each_language_gets_its_voice_and_any_other_the_default() -> None:
    en, es = FakeTts(), FakeTts()
    voices = LanguageVoices(en, {"es": es})
    assert voices.for_language("es") is es
    assert voices.for_language("ES") is es
    assert voices.for_language("en") is en and voices.for_language("fr") is en
    assert en.for_language("es") is en  # a one-voice engine is its own voice


def test_a_spanish_utterance_is_prompted_with_the_packs_spanish_questions() -> None:
    from appliance.engines.asr.vocabulary import SiteVocabulary
    from appliance.sitepack import bundled_sitepack_dir, load_sitepack

    vocab = SiteVocabulary.from_pack(load_sitepack(bundled_sitepack_dir()))
    prompt = vocab.language_prompt("es", max_tokens=40)
    assert prompt.startswith("Dónde están los baños.")
    assert len(prompt.split()) <= 40
    assert vocab.language_prompt("en") == ""  # the first language keeps the names glossary


def test_the_speaking_rate_is_set_on_every_voice() -> None:
    en, es = FakeTts(), FakeTts()
    en.length_scale = es.length_scale = 1.0  # type: ignore[attr-defined]
    voices = LanguageVoices(en, {"es": es})
    voices.length_scale = 1.15
    assert en.length_scale == es.length_scale == 1.15  # type: ignore[attr-defined]
    assert voices.length_scale == 1.15
