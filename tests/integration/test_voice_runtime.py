"""Silero VAD and Piper run through the model runtime with their manifest entries.

Real models, real ONNX Runtime (CPU here): the backend is the runtime's choice and says
why, Piper keeps its phoneme alignments through the derived model file, and the VAD hears
the voice's speech and not the silence after it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.engines.tts.piper import MODEL as VOICE
from appliance.engines.tts.piper import PiperTts
from appliance.engines.vad.silero import MODEL as VAD
from appliance.engines.vad.silero import SileroVad
from appliance.runtime.health import health
from hw.audio_util import resample


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path))
    return tmp_path / "var/lib/kiosk"


def test_piper_runs_on_the_runtime_and_keeps_its_alignments(state: Path) -> None:
    tts = PiperTts()
    info = tts.describe()
    assert info["model"] == VOICE and info["backend"] == "ort-cpu"
    assert "best available backend" in info["reason"]
    assert {s["backend"] for s in info["skipped"]} >= {"tensorrt", "ort-cuda"}
    [derived] = (state / "engines/derived" / VOICE).glob("*-alignments-v1.onnx")
    assert info["path"] == str(derived)
    [chunk] = list(tts.synthesize("The next train leaves from platform two."))
    seconds = len(chunk.pcm) / chunk.sample_rate
    assert len(chunk.phonemes) > 20
    starts = [start for _, start, _ in chunk.phonemes]
    assert starts == sorted(starts)
    # the alignments account for the audio (Piper's hop-length rounding aside)
    assert abs(chunk.phonemes[-1][2] - seconds) < 0.05 * seconds
    assert VOICE in {s["model"] for s in health()["sessions"]}


def test_silero_runs_on_the_runtime_and_hears_speech_not_silence(state: Path) -> None:
    vad = SileroVad()
    info = vad.describe()
    assert info["model"] == VAD and info["backend"] == "ort-cpu" and info["precision"] == "fp32"
    tts = PiperTts()
    speech = np.concatenate([c.pcm for c in tts.synthesize("Where is the ticket office?")])
    audio = resample(speech, tts.sample_rate, 16000).astype(np.float32) / 32768
    audio = np.concatenate([audio, np.zeros(16000, np.float32)])
    n = vad.window_samples
    probs = np.array([vad.probability(audio[i:i + n]) for i in range(0, len(audio) - n, n)])
    split = (len(audio) - 16000) // n
    assert np.mean(probs[:split] > 0.5) > 0.5  # most of the spoken windows
    assert np.all(probs[split + 8:] < 0.5)  # the silence, once the model has settled
