"""Settings -> devices: the one place ``appliance`` turns kiosk.toml into ``hw`` objects.

Every builder degrades instead of failing: a capture device that cannot be
opened falls back to its sim twin with the real device's error kept in
``health``, so the kiosk boots and telemetry says what is wrong.
"""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.engines.vision.base import FaceDetector
from appliance.engines.vision.engine import VisionEngine
from appliance.settings import (
    AudioSettings,
    CameraSettings,
    DisplaySettings,
    MicArraySettings,
    PlatformSettings,
    VisionSettings,
)
from hw.array_geometry import ArrayGeometry
from hw.array_input import ArrayMicrophone
from hw.audio_in import MicrophoneError
from hw.camera import Camera, OpenCVCamera, SimCamera
from hw.display import (
    BacklightDisplay,
    DimSchedule,
    Display,
    DisplayController,
    DisplayError,
    DpmsDisplay,
    SimDisplay,
)
from hw.echo import AcousticFrontEnd
from hw.mic_array import MicArray, PyAudioMicArray, SimMicArray
from hw.platform import PlatformSensors, detect

logger = logging.getLogger(__name__)


def array_geometry(settings: MicArraySettings) -> ArrayGeometry:
    return ArrayGeometry.from_layout(settings.layout, settings.channels, settings.spacing_m)


def build_frontend(settings: MicArraySettings, rate: int = 16_000) -> AcousticFrontEnd:
    level = settings.noise_suppression_level
    return AcousticFrontEnd(array_geometry(settings), rate, aec=settings.echo_cancellation,
                            noise_suppression=level >= 0, ns_level=max(0, level),
                            agc=settings.auto_gain, beamform=settings.beamforming,
                            stream_delay_ms=settings.stream_delay_ms)


def build_array_microphone(audio: AudioSettings, array: MicArraySettings) -> ArrayMicrophone:
    """The array microphone from settings (PyAudio, else the sim room)."""
    geometry = array_geometry(array)

    def real() -> MicArray:
        return PyAudioMicArray(geometry, audio.input_device,
                               device_channels=array.device_channels or None,
                               channel_map=array.channel_map or None)

    def sim() -> MicArray:
        return SimMicArray(geometry, audio.sim_input_wav or None, realtime=audio.realtime,
                           visitor_bearing_deg=array.sim_visitor_bearing_deg,
                           snr_db=array.sim_snr_db, echo_gain_db=array.sim_echo_gain_db,
                           endless=True)

    error = ""
    device: MicArray
    if audio.backend in ("auto", "pyaudio"):
        try:
            device = real()
        except MicrophoneError as exc:
            error = str(exc)
            logger.warning("microphone array unavailable (%s); using the sim room", exc)
            device = sim()
    else:
        device = sim()
    mic = ArrayMicrophone(device, build_frontend(array),
                          reopen=real if audio.backend != "sim" else None)
    if error and audio.backend == "pyaudio":
        mic.health.fail(MicrophoneError.code, error)
    return mic


def build_camera(settings: CameraSettings) -> Camera:
    """The camera from settings; ``sim`` plays ``sim_source``."""
    if settings.source == "sim":
        return SimCamera(Path(settings.sim_source), fps=settings.fps, loop=True)
    return OpenCVCamera(settings.source, width=settings.width, height=settings.height,
                        fps=settings.fps, flip_method=settings.flip_method)


def build_detector(settings: VisionSettings) -> FaceDetector:
    if settings.engine == "fake":
        from appliance.engines.vision.fake import FakeFaceDetector

        return FakeFaceDetector()
    from appliance.engines.vision.cascade import (
        SCALE_FACTOR,
        SCALE_FACTOR_RANGE,
        CascadeFaceDetector,
    )

    scale = settings.scale_factor
    low, high = SCALE_FACTOR_RANGE
    if not low <= scale <= high:  # a bad value must not cost the kiosk its camera
        logger.warning("[vision] scale_factor %s is not in %s..%s; using %s", scale, low, high,
                       SCALE_FACTOR)
        scale = SCALE_FACTOR
    return CascadeFaceDetector(profiles=settings.profiles, scale_factor=scale)


def build_vision(settings: VisionSettings, camera: CameraSettings) -> VisionEngine:
    every = max(1, round(camera.fps / max(settings.detect_fps, 0.1)))
    return VisionEngine(build_detector(settings), hfov_deg=camera.hfov_deg,
                        mirrored=camera.mirrored, min_face_frac=settings.min_face_frac,
                        engage_after_s=settings.engage_after_s,
                        leave_after_s=settings.leave_after_s, detect_every=every)


def build_display(settings: DisplaySettings, root: str | Path = "/") -> DisplayController:
    display: Display
    schedule = DimSchedule(settings.day_brightness_pct, settings.night_brightness_pct,
                           settings.night_start, settings.night_end,
                           settings.idle_dim_after_s, settings.off_after_s)
    backend = settings.backend
    if backend in ("auto", "backlight"):
        try:
            display = BacklightDisplay(settings.backlight_device, root=root)
            return DisplayController(display, schedule)
        except DisplayError as exc:
            if backend == "backlight":
                sim = SimDisplay()
                sim.health.fail(DisplayError.code, str(exc))
                return DisplayController(sim, schedule)
    if backend == "dpms":
        display = DpmsDisplay(settings.xdisplay, settings.xrandr_output)
    else:
        display = SimDisplay()
    return DisplayController(display, schedule)


def build_platform(settings: PlatformSettings) -> PlatformSensors:
    return detect(settings.sysfs_root, settings.kind)
