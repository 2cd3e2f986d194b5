"""Visemes from phoneme timings, and the energy fallback."""

import itertools

import numpy as np
import pytest

from appliance.engines.lipsync.energy import EnergyLipSync
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.lipsync.visemes import VISEMES, viseme_for
from appliance.engines.tts.base import TtsChunk
from appliance.frames import PhonemeTiming, SpeechAudio
from appliance.pipeline.output_stage import heard_text


@pytest.mark.parametrize(
    ("ipa", "viseme"),
    [("p", "PP"), ("m", "PP"), ("f", "FF"), ("ð", "TH"), ("t", "DD"), ("k", "kk"), ("ʃ", "CH"),
     ("s", "SS"), ("n", "nn"), ("ɹ", "RR"), ("æ", "aa"), ("ə", "E"), ("ɪ", "I"), ("ɔ", "O"),
     ("ʊ", "U"), (".", "sil"), ("^", "sil"), ("ˈ", None), ("ː", None), (" ", None)],
)
def test_ipa_maps_onto_the_oculus_set(ipa: str, viseme: str | None) -> None:
    assert viseme_for(ipa) == viseme
    assert viseme is None or viseme in VISEMES


def chunk(phonemes: list[tuple[str, float, float]], seconds: float) -> TtsChunk:
    return TtsChunk(np.zeros(int(seconds * 16000), np.int16), 16000, "x", phonemes)


def test_cues_tile_the_audio_and_marks_borrow_neighbours() -> None:
    # "map." = m a p . with a stress mark before the vowel and a length mark after
    ph = [("^", 0.0, 0.05), ("m", 0.05, 0.15), ("ˈ", 0.15, 0.2), ("æ", 0.2, 0.35),
          ("ː", 0.35, 0.4), ("p", 0.4, 0.5), (".", 0.5, 0.6), ("$", 0.6, 0.7)]
    cues = PhonemeLipSync(min_cue_s=0.04).visemes(chunk(ph, 0.7))
    assert [c.viseme for c in cues] == ["sil", "PP", "aa", "PP", "sil"]
    assert cues[0].start == 0.0 and cues[-1].end == pytest.approx(0.7)
    assert all(a.end == b.start for a, b in itertools.pairwise(cues))
    aa = cues[2]
    assert aa.start == pytest.approx(0.15) and aa.end == pytest.approx(0.4)


def test_too_short_cues_are_merged() -> None:
    ph = [("m", 0.0, 0.1), ("t", 0.1, 0.11), ("a", 0.11, 0.3)]
    cues = PhonemeLipSync(min_cue_s=0.04).visemes(chunk(ph, 0.3))
    assert "DD" not in [c.viseme for c in cues]


def test_no_phonemes_gives_silence_over_the_whole_chunk() -> None:
    cues = PhonemeLipSync().visemes(chunk([], 0.5))
    assert [(c.viseme, c.start, c.end) for c in cues] == [("sil", 0.0, 0.5)]


def test_energy_fallback_opens_on_loud_audio_and_closes_on_silence() -> None:
    t = np.arange(16000) / 16000
    loud = (10000 * np.sin(2 * np.pi * 200 * t[:8000])).astype(np.int16)
    pcm = np.concatenate([np.zeros(8000, np.int16), loud])
    cues = EnergyLipSync().visemes(TtsChunk(pcm, 16000, "x"))
    assert cues[0].viseme == "sil" and cues[0].end == pytest.approx(0.52, abs=0.05)
    assert cues[-1].viseme == "aa"


def test_heard_text_keeps_whole_words_played() -> None:
    ph = [PhonemeTiming(p, i * 0.1, (i + 1) * 0.1) for i, p in enumerate("ab cd ef")]
    audio = SpeechAudio(np.zeros(12800, np.int16), 16000, "ab cd ef", 0.0, ph)
    assert heard_text([audio], 0.45) == "ab"
    assert heard_text([audio], 0.55) == "ab cd"
    assert heard_text([audio], 0.05) == ""
    later = SpeechAudio(np.zeros(1600, np.int16), 16000, "gh", 0.8, [])
    assert heard_text([audio, later], 2.0) == "ab cd ef gh"
