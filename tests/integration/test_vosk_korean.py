"""Vosk (Kaldi) with the packaged Korean model, on Korean speech made by espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from appliance.engines.asr.vosk import VoskAsr
from hw.audio_util import read_wav, resample, to_mono

pytestmark = pytest.mark.slow

PHRASES = ["안녕하세요", "감사합니다", "화장실", "출구"]


def korean_speech(text: str, tmp: Path) -> np.ndarray:
    assert shutil.which("espeak-ng"), "espeak-ng missing: `make setup` installs it"
    wav = tmp / "ko.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(wav), text], check=True)
    pcm, rate = read_wav(wav)
    return np.asarray(resample(to_mono(pcm), rate, 16000), dtype=np.int16)


@pytest.fixture(scope="module")
def vosk_grammar() -> VoskAsr:
    return VoskAsr(grammar=PHRASES)


@pytest.mark.parametrize("phrase", ["안녕하세요", "화장실"])
def test_grammar_restricts_recognition_to_the_phrases(vosk_grammar: VoskAsr, phrase: str,
                                                     tmp_path: Path) -> None:
    result = vosk_grammar.transcribe(korean_speech(phrase, tmp_path))
    assert result.text == phrase
    assert result.final and result.language == "ko"


def test_streaming_gives_partials_before_the_final(vosk_grammar: VoskAsr, tmp_path: Path) -> None:
    audio = korean_speech("안녕하세요", tmp_path)
    stream = vosk_grammar.stream()
    partials = [r for i in range(0, len(audio), 1600)
                if (r := stream.accept(audio[i:i + 1600])) is not None]
    final = stream.finish()
    assert partials and not any(p.final for p in partials)
    assert final.text == "안녕하세요" and final.words


def test_silence_gives_an_empty_transcript(vosk_grammar: VoskAsr) -> None:
    assert vosk_grammar.transcribe(np.zeros(16000, np.int16)).text == ""
