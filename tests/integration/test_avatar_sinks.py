"""Display sinks for real: ffmpeg-muxed MP4 (ffprobe), A/V sync, MJPEG over HTTP, window."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from appliance.avatar.scene import Scene
from appliance.avatar.sinks import DisplayError, MjpegPreview, WindowSink
from appliance.avatar.sync import measure_av_sync, sync_probe
from appliance.avatar.video import LEAD_IN_S, TAIL_S, render_reply_video
from appliance.frames import Emotion

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg not installed")
SIZE, FPS, RATE = (270, 480), 30, 22_050


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_type,codec_name,width,height,nb_read_frames,duration,sample_rate",
         "-of", "json", str(path)], capture_output=True, check=True, text=True).stdout
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


@pytest.fixture(scope="module")
def probe_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pcm, cues = sync_probe(4, RATE)
    out = tmp_path_factory.mktemp("mp4") / "reply.mp4"
    return render_reply_video(out, pcm, RATE, cues, text="Hello! The gates are on your left.",
                              heard_text="Where are the gates?", emotion=Emotion("happy", 0.5, 0.5),
                              size=SIZE, fps=FPS)


@needs_ffmpeg
def test_mp4_has_right_frames_duration_and_audio(probe_video: Path) -> None:
    pcm, _ = sync_probe(4, RATE)
    streams = ffprobe(probe_video)
    video, audio = streams["video"], streams["audio"]
    expected_s = LEAD_IN_S + len(pcm) / RATE + TAIL_S
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", *SIZE)
    assert int(video["nb_read_frames"]) == int(np.ceil(expected_s * FPS))
    assert float(video["duration"]) == pytest.approx(expected_s, abs=1.5 / FPS)
    assert audio["codec_name"] == "aac" and int(audio["sample_rate"]) == RATE
    assert float(audio["duration"]) == pytest.approx(float(video["duration"]), abs=0.05)


@needs_ffmpeg
def test_lips_move_with_the_recorded_audio(probe_video: Path) -> None:
    report = measure_av_sync(probe_video, SIZE, FPS, RATE)
    assert len(report.offsets_ms) == 4, "every tone onset has a mouth opening"
    assert report.max_abs_ms <= 1000 / FPS  # within one frame, never a frame late


def test_mjpeg_preview_serves_the_latest_frame() -> None:
    scene = Scene(SIZE)
    with MjpegPreview(port=0, width=200) as preview:
        assert isinstance(preview, MjpegPreview)
        preview.write(scene.render(0.5), 0.5)
        with urllib.request.urlopen(preview.url + "frame.jpg", timeout=5) as resp:
            body = resp.read()
            assert resp.headers["Content-Type"] == "image/jpeg"
        assert body[:2] == b"\xff\xd8" and len(body) > 1000


def test_window_sink_fails_clearly_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(DisplayError) as err:
        WindowSink()
    assert err.value.code == "display-unavailable"
    assert "display" in str(err.value).lower()


def test_window_sink_fails_clearly_on_headless_opencv(monkeypatch: pytest.MonkeyPatch) -> None:
    import cv2

    if not re.search(r"GUI:\s+NONE", cv2.getBuildInformation()):
        pytest.skip("this OpenCV has a GUI backend")
    monkeypatch.setenv("DISPLAY", ":99")
    with pytest.raises(DisplayError, match="HighGUI"):
        WindowSink()
