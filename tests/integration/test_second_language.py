"""The second language end to end on synthesized speech: a Spanish question (espeak-ng's
es voice) through the whole kiosk is heard as Spanish, understood, answered in Spanish and
spoken by the espeak-ng voice; an English question still goes the English way.

Real models (multilingual Whisper base, the sentence encoder, Piper), shared per module.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np
import pytest

from appliance.app import TurnRecord, converse
from appliance.engines.factory import Engines, create_engines
from appliance.engines.tts.espeak import EspeakTts
from appliance.settings.layers import load
from hw.audio_util import resample

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engines() -> tuple[object, Engines]:
    settings, _ = load()
    settings = replace(settings, asr=replace(settings.asr, multilingual=True))
    return settings, create_engines(settings)


def _ask(setup: tuple[object, Engines], pcm: np.ndarray, rate: int) -> TurnRecord:
    settings, engines = setup
    audio = np.asarray(resample(pcm, rate, 16_000), dtype=np.int16)
    question = np.concatenate([np.zeros(8000, np.int16), audio, np.zeros(8000, np.int16)])
    turn = asyncio.run(converse(settings, engines, question, realtime=False))  # type: ignore[arg-type]
    assert turn is not None and turn.understanding is not None and turn.reply is not None
    return turn


def test_a_spanish_question_is_answered_in_spanish_by_the_spanish_voice(
        engines: tuple[object, Engines]) -> None:
    visitor = EspeakTts("es")
    pcm = np.concatenate([c.pcm for c in visitor.synthesize("¿Dónde están los baños?")])
    turn = _ask(engines, pcm, visitor.sample_rate)
    print("heard:", turn.transcript, "->", turn.reply.text if turn.reply else None)
    assert turn.understanding is not None and turn.reply is not None
    assert turn.understanding.language == "es"
    assert turn.understanding.intent == "find_toilet"
    assert turn.reply.language == "es"
    assert turn.reply.text.startswith("Los baños están en el vestíbulo")
    # the reply was said by espeak-ng's es voice: its audio is that voice's, sample for sample
    said = np.concatenate([c.pcm for c in EspeakTts("es").synthesize(turn.reply.text)])
    assert np.array_equal(turn.reply_pcm, said)
    assert turn.visemes  # the mouth moves with it


def test_an_english_question_still_goes_the_english_way(
        engines: tuple[object, Engines]) -> None:
    _settings, eng = engines
    tts = eng.tts.for_language("en")
    assert not isinstance(tts, EspeakTts)
    pcm = np.concatenate([c.pcm for c in tts.synthesize("Where is the nearest toilet?")])
    turn = _ask(engines, pcm, tts.sample_rate)
    assert turn.understanding is not None and turn.reply is not None
    assert turn.understanding.language == "en"
    assert turn.understanding.intent == "find_toilet"
    assert turn.reply.language == "en"
    assert turn.reply.text.startswith("The toilets are on the concourse")
