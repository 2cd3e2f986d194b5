"""``kiosk demo`` and ``kiosk say`` as a user runs them: a subprocess, real models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hw.audio_util import write_wav

pytestmark = pytest.mark.slow


def kiosk(*args: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {"KIOSK_ROOT": str(root), "PATH": "/usr/bin:/bin", "HOME": str(root)}
    return subprocess.run([sys.executable, "-m", "appliance.cli", *args], capture_output=True,
                          text=True, timeout=240, env=env, check=False)


def bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp / "empty.wav"
    empty.write_bytes(b"")
    text = tmp / "notes.wav"
    text.write_text("this is not audio")
    silent = write_wav(tmp / "silent.wav", np.zeros(32000, np.int16), 16000)
    wide = tmp / "float.wav"
    import wave

    with wave.open(str(wide), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(4)
        w.setframerate(16000)
        w.writeframes(b"\0" * 64000)
    return {
        "missing": (tmp / "nope.wav", "no such file"),
        "empty": (empty, "empty"),
        "not a wav": (text, "not a PCM WAV"),
        "silent": (silent, "silent"),
        "32-bit": (wide, "16-bit"),
        "a folder": (tmp, "is a directory"),
    }


def test_bad_input_gives_one_clear_line_and_a_failure_code(tmp_path: Path) -> None:
    for label, (path, needle) in bad_inputs(tmp_path).items():
        result = kiosk("demo", "--wav", str(path), "--out", str(tmp_path / "out"), root=tmp_path)
        assert result.returncode == 2, (label, result.stderr)
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and "Traceback" not in result.stderr, (label, result.stderr)
        assert needle in lines[0], (label, lines[0])


def test_demo_json_on_a_stereo_44k_question(tmp_path: Path) -> None:
    from appliance.engines.tts.piper import PiperTts
    from hw.audio_util import resample

    tts = PiperTts()
    pcm = np.concatenate([c.pcm for c in tts.synthesize("Where is the nearest toilet?")])
    mono = np.asarray(resample(pcm, tts.sample_rate, 44100), dtype=np.int16)
    wav = write_wav(tmp_path / "q.wav", np.stack([mono, mono], axis=1), 44100)
    out = tmp_path / "out"
    result = kiosk("demo", "--wav", str(wav), "--out", str(out), "--json", "--fast",
                   root=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "toilet" in report["transcript"].lower()
    assert report["intent"] == "find_toilet"
    assert set(report["emotion"]) == {"label", "valence", "arousal"}
    assert report["reply"]
    for stage in ("asr", "nlu", "tts", "end_of_speech_to_first_audio"):
        assert report["latency_ms"][stage] >= 0
    reply = Path(report["files"]["reply_wav"])
    visemes = json.loads(Path(report["files"]["visemes_json"]).read_text())
    from hw.audio_util import read_wav

    audio, rate = read_wav(reply)
    assert visemes["cues"][-1]["end"] == pytest.approx(len(audio) / rate, abs=0.01)
    video = Path(report["files"]["video_mp4"])
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type",
                            "-of", "csv=p=0", str(video)], capture_output=True, text=True,
                           check=True)
    assert sorted(probe.stdout.split()) == ["audio", "video"]


def test_say_writes_audio_and_visemes(tmp_path: Path) -> None:
    result = kiosk("say", "Testing the speaker, one two three.", "--out", str(tmp_path),
                   "--json", root=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["visemes"] > 5 and report["duration_s"] > 1.0
    assert "sim" in report["played_on"]
    assert Path(report["files"]["wav"]).stat().st_size > 20000


def test_say_refuses_empty_text(tmp_path: Path) -> None:
    result = kiosk("say", "  ", root=tmp_path)
    assert result.returncode == 2 and "nothing to say" in result.stderr


def test_announce_speaks_a_service_notice(tmp_path: Path) -> None:
    notice = Path("models/sitepacks/metro-demo/notices/l3-signal-fault.json").resolve()
    result = kiosk("announce", str(notice), "--out", str(tmp_path), "--no-play", "--json",
                   root=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "Line 3" in report["text"] and report["duration_s"] > 5
    assert report["played_on"] == "none"
    assert Path(report["files"]["visemes_json"]).exists()


def test_demo_sign_writes_a_signed_reply_video(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = kiosk("demo", "--sign", "--out", str(out), "--json", "--fast", root=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    video = Path(report["files"]["video_mp4"])
    assert video == out / "demo-sign.mp4" and video.stat().st_size > 10_000
    assert not (out / "demo.mp4").exists()
    from hw.audio_util import read_wav

    audio, rate = read_wav(Path(report["files"]["reply_wav"]))
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", str(video)], capture_output=True, text=True,
                           check=True)
    # the video runs until the hands are back at rest: at least as long as the speech
    assert float(probe.stdout) >= len(audio) / rate
