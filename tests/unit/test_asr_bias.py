"""Site-aware ASR without models: the vocabulary, prompt and grammar built from a pack,
the settings switch, and the hallucination filter's decision on the audio itself."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from appliance.engines.asr import create_asr
from appliance.engines.asr.vocabulary import SiteVocabulary, split_name
from appliance.engines.asr.whisper import MIN_VOICED_S, WhisperAsr, voiced_seconds
from appliance.engines.factory import _site_vocabulary
from appliance.engines.qa.base import QaEngine
from appliance.settings import AsrSettings, Settings, from_dict
from appliance.sitepack import bundled_sitepack_dir, load_sitepack

RATE = 16_000


@pytest.fixture(scope="module")
def vocab() -> SiteVocabulary:
    return SiteVocabulary.from_pack(load_sitepack(bundled_sitepack_dir()))


def test_split_name_gives_the_outer_and_inner_names() -> None:
    assert split_name("Exit E (Queen's Road and Hotel Plaza)") == [
        "Exit E", "Queen's Road", "Hotel Plaza"]
    assert split_name("Line 1 (Red Line)") == ["Line 1", "Red Line"]
    assert split_name("Northgate") == ["Northgate"]


def test_vocabulary_from_the_metro_pack(vocab: SiteVocabulary) -> None:
    assert vocab.names[0] == "Central Square"  # this station first
    for name in ("Northgate", "Botanic Garden", "Green Line", "Exit E", "Queen's Road"):
        assert name in vocab.names
    assert "ticket" not in " ".join(vocab.names).lower()  # only places, lines, exits
    assert {"north gate", "queen's road", "the hotels", "red line"} <= set(vocab.phrases)
    assert {"toilet", "where", "ticket"} <= set(vocab.words)
    assert len(set(n.casefold() for n in vocab.names)) == len(vocab.names)


def words_as_tokens(text: str) -> int:
    """A stand-in tokenizer: a word is one token, two if it is a compound name."""
    rare = {"northgate", "eastbrook", "queen's"}
    return sum(1 + (w.strip(",.").lower() in rare) for w in text.split())


def test_whisper_prompt_fits_the_budget_and_puts_rare_names_first(
        vocab: SiteVocabulary) -> None:
    prompt = vocab.whisper_prompt(max_tokens=30, count_tokens=words_as_tokens)
    assert words_as_tokens(prompt) <= 30 and prompt.endswith(".")
    assert prompt.startswith("Northgate, Eastbrook, Queen's Road, Central Square")
    in_order = vocab.whisper_prompt(max_tokens=30, count_tokens=words_as_tokens,
                                    rare_first=False)
    assert in_order.startswith("Central Square, Airport Terminal")
    # without a tokenizer: about 4 characters a token, the pack's order
    default = vocab.whisper_prompt()
    assert 100 < len(default) <= 4 * 96 and default.startswith("Central Square")
    assert vocab.hotwords(max_tokens=10, count_tokens=words_as_tokens).count(",") >= 3
    assert SiteVocabulary().whisper_prompt() == "" and not SiteVocabulary()


def test_vosk_grammar_is_valid_json_with_unk_and_only_known_words(
        vocab: SiteVocabulary) -> None:
    grammar = vocab.vosk_grammar()
    assert json.loads(json.dumps(grammar)) == grammar
    assert grammar[-1] == "[unk]" and grammar.count("[unk]") == 1
    assert {"northgate", "queen's road", "exit e", "toilet"} <= set(grammar)
    assert all(p == p.lower() and "(" not in p for p in grammar[:-1])
    known = {"exit", "e", "toilet", "where"}
    small = vocab.vosk_grammar(lambda w: w in known)
    assert {"exit e", "e exit", "toilet", "where", "[unk]"} <= set(small)
    assert all(w in known for p in small[:-1] for w in p.split())
    assert vocab.vosk_grammar(lambda w: False) == []  # nothing known: no grammar at all


def test_asr_bias_setting_defaults_on_and_turns_the_vocabulary_off(
        monkeypatch: pytest.MonkeyPatch, vocab: SiteVocabulary) -> None:
    made: list[dict[str, Any]] = []

    class Stub:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(kwargs)

    monkeypatch.setattr("appliance.engines.asr.whisper.WhisperAsr", Stub)
    monkeypatch.setattr("appliance.engines.asr.vosk.VoskAsr", Stub)
    assert AsrSettings().bias is True
    create_asr(AsrSettings(), vocab)
    create_asr(AsrSettings(bias=False), vocab)
    create_asr(AsrSettings(engine="vosk"), vocab)
    assert [m["vocabulary"] for m in made] == [vocab, None, vocab]

    qa = cast(QaEngine, SimpleNamespace(pack=load_sitepack(bundled_sitepack_dir())))
    assert _site_vocabulary(Settings(), qa) == vocab
    assert _site_vocabulary(from_dict({"asr": {"bias": False}}), qa) is None


def tone(seconds: float, dbfs: float = -20.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return 32767 * 10 ** (dbfs / 20) * np.sqrt(2) * np.sin(2 * np.pi * 220 * t)


def quiet(seconds: float, rms: float = 20.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * rms


def test_voiced_seconds_counts_speech_over_the_noise_floor() -> None:
    speech = np.concatenate([quiet(0.5), tone(0.8) + quiet(0.8), quiet(0.5)])
    assert voiced_seconds(speech.astype(np.int16)) == pytest.approx(0.8, abs=0.05)
    assert voiced_seconds(np.zeros(RATE, np.int16)) == 0.0
    # steady station noise at -30 dBFS is loud, but it is not speech
    assert voiced_seconds(quiet(2.0, rms=1000.0).astype(np.int16)) < 0.1
    click = np.concatenate([quiet(1.0), tone(0.1, -6.0), quiet(1.0)])
    assert voiced_seconds(click.astype(np.int16)) < MIN_VOICED_S


@pytest.mark.parametrize("said", ["Thank you.", "Bye.", "you", "Thanks for watching!"])
def test_hallucination_filter_decides_on_the_audio(said: str) -> None:
    """Whisper's stock phrases go on near-silence; "Thank you."/"Bye." stay on speech."""
    asr = object.__new__(WhisperAsr)
    asr.language, asr.initial_prompt, asr.hotwords = "en", None, None
    asr._model, asr.retry_below = SimpleNamespace(), 0.0  # no model: Whisper's full window
    segment = SimpleNamespace(text=f" {said}", no_speech_prob=0.1, avg_logprob=-0.2,
                              compression_ratio=1.0)
    asr._segments = lambda audio, prompt, hot, language=None: [segment]  # type: ignore[method-assign]
    near_silence = np.concatenate([quiet(1.0), tone(0.15, -20.0), quiet(1.0)])
    speech = np.concatenate([quiet(0.3), tone(0.7, -20.0) + quiet(0.7), quiet(0.3)])
    assert asr.decode(near_silence.astype(np.int16)).text == ""
    kept = said in ("Thank you.", "Bye.")
    assert asr.decode(speech.astype(np.int16)).text == (said if kept else "")


def test_a_looping_biased_decode_is_decoded_again_without_the_prompt() -> None:
    asr = object.__new__(WhisperAsr)
    asr.language, asr.initial_prompt, asr.hotwords = "en", "Northgate.", None
    asr._model, asr.retry_below = SimpleNamespace(), 0.0  # no model: Whisper's full window
    calls: list[str | None] = []

    def segments(audio: np.ndarray, prompt: str | None, hot: str | None,
                 language: str | None = None) -> list[Any]:
        calls.append(prompt)
        text, ratio = ((" Northgate," * 20, 6.0) if prompt else (" Go to Northgate.", 1.1))
        return [SimpleNamespace(text=text, no_speech_prob=0.1, avg_logprob=-0.3,
                                compression_ratio=ratio)]

    asr._segments = segments  # type: ignore[method-assign]
    assert asr.decode(tone(1.0).astype(np.int16)).text == "Go to Northgate."
    assert calls == ["Northgate.", None]
