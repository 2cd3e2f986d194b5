"""Settings -> devices, with fallbacks that keep the kiosk booting."""

from __future__ import annotations

from pathlib import Path

from appliance.devices.hardware import (
    build_array_microphone,
    build_camera,
    build_display,
    build_platform,
    build_vision,
)
from appliance.settings import (
    AudioSettings,
    CameraSettings,
    DisplaySettings,
    MicArraySettings,
    PlatformSettings,
    VisionSettings,
)
from hw.camera import OpenCVCamera
from hw.display import SimDisplay
from hw.health import HealthState
from hw.mic_array import SimMicArray
from hw.platform import JetsonSensors

DATA = Path(__file__).resolve().parents[1] / "data/sysfs"


async def test_missing_array_falls_back_to_the_sim_room_with_a_health_state() -> None:
    mic = build_array_microphone(AudioSettings(backend="pyaudio", input_device="no-such-xyz",
                                               realtime=False),
                                 MicArraySettings(layout="linear", channels=4))
    assert isinstance(mic.array, SimMicArray)
    assert mic.health.state == HealthState.FAILED and mic.health.code == "mic-lost"
    await mic.close()


def test_camera_vision_display_platform_from_settings(tmp_path: Path) -> None:
    camera = build_camera(CameraSettings(source="csi://0"))
    assert isinstance(camera, OpenCVCamera) and camera.backend == "gstreamer"
    vision = build_vision(VisionSettings(engine="fake", detect_fps=5), CameraSettings(fps=30))
    assert vision.detect_every == 6
    ctl = build_display(DisplaySettings(backend="auto"), root=tmp_path)
    assert isinstance(ctl.display, SimDisplay)
    sensors = build_platform(PlatformSettings(sysfs_root=str(DATA / "orin-nano-jp6")))
    assert isinstance(sensors, JetsonSensors)


def test_face_detector_scale_step_from_settings_and_a_bad_one_falls_back() -> None:
    from appliance.devices.hardware import build_detector

    assert build_detector(VisionSettings(scale_factor=1.1)).scale_factor == 1.1  # type: ignore[attr-defined]
    bad = build_detector(VisionSettings(scale_factor=0.5))
    assert bad.scale_factor == 1.2  # type: ignore[attr-defined]
