"""Pipeline frames drive the scene; the avatar CLI fails with one clear line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.avatar.cli import main
from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.frames import (
    Emotion,
    Interrupt,
    PhonemeTiming,
    Presence,
    Reply,
    SpeechAudio,
    StageError,
    Transcript,
    VisemeCue,
    Visemes,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_later_sentences_keep_their_reply_clock_times() -> None:
    """Cues and phonemes of every chunk are on the reply's clock (the stages add the
    offset): the second sentence's mouth opens while the second sentence plays."""
    scene = Scene((270, 480))
    out = AvatarOutput(scene, Clock())
    out.handle(Reply("One. Two."))
    pcm = np.zeros(22_050, np.int16)
    out.handle(Visemes([VisemeCue("aa", 0.2, 0.8)], offset=0.0))
    out.handle(SpeechAudio(pcm, 22_050, "One.", 0.0, [PhonemeTiming("a", 0.2, 0.8)]))
    out.handle(Visemes([VisemeCue("O", 1.2, 1.8)], offset=1.0))
    out.handle(SpeechAudio(pcm, 22_050, "Two.", 1.0, [PhonemeTiming("o", 1.2, 1.8)]))
    out.playback_started(at=100.0)
    assert scene.state.pose_at(101.5).mouth.open > 0.6
    assert scene.state.pose_at(102.5).mouth.open == 0
    assert scene.state.current_word(101.5) == 1


def test_frames_drive_speech_gaze_and_out_of_service() -> None:
    clock = Clock()
    scene = Scene((270, 480))
    out = AvatarOutput(scene, clock)
    out.handle(Presence(faces=1, engaged=True, nearest_bearing_deg=30.0))
    out.handle(Transcript("where is the toilet"))
    out.handle(Reply("It is on your left.", emotion=Emotion("happy", 0.7, 0.5)))
    pcm = np.zeros(22_050, np.int16)
    phon = [PhonemeTiming("l", 0.5, 0.6), PhonemeTiming("ɛ", 0.6, 0.7)]
    out.handle(SpeechAudio(pcm, 22_050, "It is on your left.", 0.0, phon))
    out.handle(Visemes([VisemeCue("aa", 0.2, 0.5)], offset=0.0))
    out.playback_started(at=100.0)
    assert scene.state.speaking_at(100.3)
    assert scene.state.pose_at(100.35).mouth.open > 0.9
    assert scene.state.pose_at(102.0).gaze_x > 0.3  # looks toward the visitor at +30 deg
    clock.now = 100.4
    out.handle(Interrupt())
    assert not scene.state.speaking_at(100.45)
    out.handle(StageError(stage="tts", code="tts-failed", message="boom"))
    assert scene.state.mode == "out_of_service"


def test_cli_bad_wav_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"not a wav")
    vis = tmp_path / "v.json"
    vis.write_text('{"cues": []}')
    assert main(["video", str(bad), str(vis), "--out", str(tmp_path / "o.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kiosk-avatar: error:") and err.count("\n") == 1


def test_cli_still_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "oos.png"
    assert main(["still", "--mode", "out_of_service", "--size", "270x480", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
