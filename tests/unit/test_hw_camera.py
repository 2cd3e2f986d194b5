"""Cameras: sources from settings, sim playback, a real OpenCV capture, failures as health."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hw.camera import OpenCVCamera, SimCamera, describe_source
from hw.health import HealthState

cv2 = pytest.importorskip("cv2")


def test_sources_from_settings() -> None:
    assert describe_source("0") == (0, "v4l2")
    assert describe_source("/dev/video2") == ("/dev/video2", "v4l2")
    pipeline, backend = describe_source("csi://1", 1920, 1080, 30, flip_method=2)
    assert backend == "gstreamer"
    assert pipeline.startswith("nvarguscamerasrc sensor-id=1 !")
    assert "width=1920, height=1080" in pipeline and "flip-method=2" in pipeline
    assert pipeline.endswith("appsink drop=true max-buffers=1")
    assert describe_source("v4l2src ! videoconvert ! appsink")[1] == "gstreamer"
    assert describe_source("/tmp/lobby.mp4")[1] == "file"


def frames_of(count: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(count)]


async def test_sim_camera_plays_a_folder_of_images(tmp_path: Path) -> None:
    for i, image in enumerate(frames_of(3)):
        cv2.imwrite(str(tmp_path / f"{i:03d}.png"), image)
    camera = SimCamera(tmp_path, realtime=False)
    got = [f async for f in camera.frames()]
    assert [int(f.image[0, 0, 0]) for f in got] == [0, 20, 40]
    assert [f.index for f in got] == [0, 1, 2]


async def test_opencv_camera_reads_a_video_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for image in frames_of(5):
        writer.write(image)
    writer.release()
    camera = OpenCVCamera(str(path))
    got = [f async for f in camera.frames()]
    await camera.close()
    assert len(got) == 5 and got[0].image.shape == (48, 64, 3)
    assert camera.health.state == HealthState.OK


async def test_camera_that_fails_to_open_is_a_health_state(tmp_path: Path) -> None:
    camera = OpenCVCamera("/dev/video99")
    got = [f async for f in camera.frames()]
    await camera.close()
    assert got == []
    assert camera.health.state == HealthState.FAILED
    assert camera.health.code == "camera-open-failed"
    missing = SimCamera(tmp_path / "nothing.mp4")
    assert [f async for f in missing.frames()] == []
    assert missing.health.code == "camera-open-failed"
