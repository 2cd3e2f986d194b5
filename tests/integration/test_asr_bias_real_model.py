"""Site-aware ASR with the real models: Whisper tiny.en biased to the metro pack keeps a
visitor's real "Thank you." and drops noise; the Korean Vosk model takes a site grammar."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from appliance.engines.asr.vocabulary import SiteVocabulary
from appliance.engines.asr.vosk import VoskAsr
from appliance.engines.asr.whisper import WhisperAsr
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from hw.audio_util import read_wav, resample, to_mono

pytestmark = pytest.mark.slow


def espeak(text: str, voice: str, tmp: Path) -> np.ndarray:
    assert shutil.which("espeak-ng"), "espeak-ng missing: `make setup` installs it"
    wav = tmp / "say.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True)
    pcm, rate = read_wav(wav)
    return np.asarray(resample(to_mono(pcm), rate, 16000), dtype=np.int16)


def test_biased_whisper_keeps_a_spoken_thank_you_and_drops_near_silence(
        tmp_path: Path) -> None:
    asr = WhisperAsr(vocabulary=SiteVocabulary.from_pack(load_sitepack(bundled_sitepack_dir())))
    assert asr.initial_prompt and asr.count_tokens(asr.initial_prompt) <= 96
    pad = np.zeros(8000, np.int16)
    thanks = np.concatenate([pad, espeak("Thank you.", "en-us", tmp_path), pad])
    assert asr.transcribe(thanks).text.lower().strip(".!") == "thank you"
    rng = np.random.default_rng(3)
    for noise in ((rng.standard_normal(32000) * 20), (rng.standard_normal(32000) * 600)):
        assert asr.transcribe(noise.astype(np.int16)).text == ""
    heard = asr.transcribe(espeak("Next train to Northgate?", "en-us", tmp_path)).text
    assert "Northgate" in heard


def test_the_korean_vosk_model_takes_a_site_grammar(tmp_path: Path) -> None:
    """A Korean site's names make a grammar the real model compiles and decodes with.

    This model has no ``[unk]`` word, so ``asr.bias`` alone builds no grammar for
    it (free speech would be forced into the site's words); the grammar it would
    build is passed as ``asr.grammar`` instead.
    """
    vocab = SiteVocabulary(names=("강남",), phrases=("강남", "출구"),
                           words=("화장실", "안녕하세요", "xyzzy"))
    asr = VoskAsr(vocabulary=vocab)
    assert not asr.knows("[unk]") and asr.grammar == []
    grammar = vocab.vosk_grammar(asr.knows)
    assert grammar == ["강남", "출구", "화장실", "안녕하세요", "[unk]"]  # xyzzy: unknown
    asr.grammar = json.loads(json.dumps(grammar, ensure_ascii=False))
    for said in ("화장실", "안녕하세요"):
        assert asr.transcribe(espeak(said, "ko", tmp_path)).text == said
