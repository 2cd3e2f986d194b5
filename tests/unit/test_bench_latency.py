"""kiosk bench latency: the manifest, per-file errors, and timing from the true end."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from appliance.bench.latency import (
    BenchInputError,
    Entry,
    play_one,
    read_manifest,
    run_files,
    speech_end_s,
)
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.settings import Settings
from hw.audio_util import write_wav

RATE = 16_000


def tone(seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def folder(tmp_path: Path, manifest: Any) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("manifest", "says"), [
    (None, "not found"),
    ("{not json", "not JSON"),
    ({"file": "a.wav"}, "non-empty list"),
    ([], "non-empty list"),
    ([{"file": "a.wav"}], "entry 0"),
    ([{"file": "a.wav", "speech_end_s": -1}], "entry 0"),
    ([{"file": "a.wav", "speech_end_s": True}], "entry 0"),
    ([{"file": "a.wav", "speech_end_s": 1}, {"speech_end_s": 1}], "entry 1"),
])
def test_an_unusable_manifest_is_one_clear_error(tmp_path: Path, manifest: Any,
                                                 says: str) -> None:
    if isinstance(manifest, str):
        (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    elif manifest is not None:
        folder(tmp_path, manifest)
    with pytest.raises(BenchInputError, match=says) as err:
        read_manifest(tmp_path)
    assert err.value.code == "bench-bad-input"


def test_a_good_manifest_reads_every_entry(tmp_path: Path) -> None:
    folder(tmp_path, [{"file": "a.wav", "speech_end_s": 1.25}, {"file": "b.wav",
                                                                "speech_end_s": 0}])
    assert [(e.file, e.speech_end_s) for e in read_manifest(tmp_path)] == [
        ("a.wav", 1.25), ("b.wav", 0.0)]


def test_speech_end_is_where_the_last_loud_window_ends() -> None:
    audio = np.concatenate([np.zeros(RATE // 2, np.int16), tone(1.0), np.zeros(RATE, np.int16)])
    assert math.isclose(speech_end_s(audio), 1.5, abs_tol=0.011)
    assert speech_end_s(np.zeros(RATE, np.int16)) == 0.0


def test_every_file_runs_and_bad_ones_say_why(tmp_path: Path) -> None:
    write_wav(tmp_path / "q.wav", np.concatenate([tone(1.0), np.zeros(RATE // 2, np.int16)]),
              RATE)
    write_wav(tmp_path / "quiet.wav", np.zeros(RATE, np.int16), RATE)
    (tmp_path / "text.wav").write_text("not audio", encoding="utf-8")
    folder(tmp_path, [{"file": "q.wav", "speech_end_s": 1.0},
                      {"file": "gone.wav", "speech_end_s": 1.0},
                      {"file": "quiet.wav", "speech_end_s": 0.5},
                      {"file": "text.wav", "speech_end_s": 0.5},
                      {"file": "q.wav", "speech_end_s": 9.0}])
    engines = Engines(FakeVad(), FakeAsr(["where is the toilet"]), FakeNlu(), FakeQa(),
                      FakeTts(16000), PhonemeLipSync())
    said: list[str] = []
    report = run_files(tmp_path, Settings(), engines, progress=said.append)
    rows = {(r["file"], r["speech_end_s"]): r for r in report["files"]}
    answered = rows[("q.wav", 1.0)]
    assert answered["transcript"] == "where is the toilet" and answered["turns"] == 1
    # the fake engines answer at once: what is left is the endpointer's silence wait
    ms = answered["end_of_speech_to_first_audio_ms"]
    assert ms is not None and 0 < ms < 3000 and "error" not in answered
    assert rows[("gone.wav", 1.0)]["error"]["code"] == "bench-missing-wav"
    assert rows[("quiet.wav", 0.5)]["error"]["code"] == "bench-no-speech"
    assert rows[("text.wav", 0.5)]["error"]["code"] == "bench-bad-wav"
    assert rows[("q.wav", 9.0)]["error"]["code"] == "bench-bad-speech-end"
    assert report["answered"] == 1 and report["failed"] == 4
    assert report["end_of_speech_to_first_audio_ms"] == {"p50": ms, "p95": ms, "n": 1}
    assert len(said) == 5 and said[0].startswith("[1/5] q.wav: ")


async def test_the_decodes_made_at_pauses_are_counted() -> None:
    # "where is [0.2 s] the toilet": the decode at the pause is wasted, the one at the end used
    audio = np.concatenate([tone(0.5), np.zeros(RATE // 5, np.int16), tone(0.5),
                            np.zeros(RATE, np.int16)])
    engines = Engines(FakeVad(), FakeAsr(["where is the toilet"]), FakeNlu(), FakeQa(),
                      FakeTts(16000), PhonemeLipSync())
    played = await play_one(Settings(), engines, audio, Entry("q.wav", 1.2))
    assert played.turns == 1
    assert played.speculation == {"used": 1, "wasted": 1}
