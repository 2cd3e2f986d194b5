"""`kiosk bench latency` with the real models on a voice the kiosk never trained on."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from appliance.bench.latency import speech_end_s
from hw.audio_util import write_wav

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng")]


def test_a_folder_of_wavs_is_timed_from_where_speech_really_ends(tmp_path: Path) -> None:
    from hw.array_sim import spoken

    speech = spoken("Where is the nearest toilet?", "en-gb")
    lead = np.zeros(8000)
    audio = np.round(np.concatenate([lead, speech, np.zeros(16000)])).astype(np.int16)
    write_wav(tmp_path / "toilet.wav", audio, 16000)
    # where the voice really stops: espeak-ng ends its output with ~0.3 s of silence
    end_s = speech_end_s(audio)
    assert end_s < (len(lead) + len(speech)) / 16000 - 0.1
    (tmp_path / "manifest.json").write_text(json.dumps([
        {"file": "toilet.wav", "speech_end_s": end_s},
        {"file": "missing.wav", "speech_end_s": 1.0}]), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "appliance.cli", "bench", "latency",
                           "--wavs", str(tmp_path), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr  # one file failed; the other ran
    report = json.loads(done.stdout)
    toilet, missing = report["files"]
    assert "toilet" in toilet["transcript"].lower() and toilet["turns"] == 1
    # the endpointer's silence, the decode and the first TTS chunk are some hundreds of ms
    # (this box: ~440); the whole loop lands within seconds
    assert 150 < toilet["end_of_speech_to_first_audio_ms"] < 5000
    assert missing["error"]["code"] == "bench-missing-wav"
    assert report["v"] == 1 and report["end_of_speech_to_first_audio_ms"]["n"] == 1
