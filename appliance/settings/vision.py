"""Seeing visitors: ``[camera]`` (the source and its optics) and ``[vision]`` (face
detection, when a visitor is close, engaged or gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from appliance.settings.fields import (
    TABLE,
    CameraSource,
    Flag,
    PathText,
    Pixels,
    above,
    rng,
)


@dataclass(frozen=True)
class CameraSettings:
    __pydantic_config__ = TABLE

    enabled: Flag = False
    source: CameraSource = "0"
    """``0``/``/dev/video0`` (V4L2), ``csi://0`` (Jetson CSI), a GStreamer pipeline with ``!``,
    or a video file; ``sim`` plays ``sim_source``."""
    width: Pixels = 1280
    height: Pixels = 720
    fps: Annotated[int, rng(1, 240)] = 30
    flip_method: Annotated[int, rng(0, 7)] = 0
    """nvvidconv flip-method for CSI cameras (0 none, 2 rotate 180...)."""
    hfov_deg: Annotated[float, above(0, 180)] = 70.0
    """Horizontal field of view, for face bearings."""
    mirrored: Flag = False
    """True if the image is mirrored (selfie view)."""
    sim_source: PathText = ""
    """Video file or image folder the sim camera plays."""


@dataclass(frozen=True)
class VisionSettings:
    __pydantic_config__ = TABLE

    engine: Literal["haar", "fake"] = "haar"
    """``haar`` (OpenCV cascades) or ``fake``."""
    detect_fps: Annotated[float, above(0, 120)] = 5.0
    """How often faces are looked for (frames in between are skipped)."""
    profiles: Flag = False
    """Also count faces seen from the side (slower)."""
    scale_factor: Annotated[float, rng(1.01, 2.0)] = 1.2
    """Step between the scales the face detector searches (1.01..2.0): 1.1 finds a few
    more faces at about twice the CPU."""
    min_face_frac: Annotated[float, above(0, 1)] = 0.08
    """Face width / image width from which a visitor counts as close."""
    engage_after_s: Annotated[float, rng(0, 600)] = 1.0
    """Seconds a close visitor must face the screen to be engaged."""
    leave_after_s: Annotated[float, rng(0, 3_600)] = 2.0
    """Seconds without any face before the visitor has left."""
