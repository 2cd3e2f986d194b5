"""Fullscreen borderless window (OpenCV HighGUI) for the kiosk session.

``opencv-python-headless`` has no HighGUI; the window therefore imports the GUI
lazily and fails with one clear :class:`DisplayError` where it cannot work (no
display server, or a headless OpenCV build). The kiosk ships the headless build,
so its screen uses :class:`~appliance.avatar.sinks.sdl.SdlWindowSink` (pygame)
instead; this one serves where a GUI OpenCV is installed. Frame pacing is the caller's (see
:class:`~appliance.avatar.pacer.FramePacer`); ``write`` only shows and polls.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from appliance.avatar.sinks.base import DisplayError, FrameSink


def _gui() -> Any:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DisplayError("no display: set DISPLAY or WAYLAND_DISPLAY (or use the MP4/MJPEG "
                           "sinks on a headless machine)")
    import cv2

    try:
        cv2.namedWindow("kiosk-probe", cv2.WINDOW_NORMAL)
        cv2.destroyWindow("kiosk-probe")
    except cv2.error as exc:
        raise DisplayError("this OpenCV has no HighGUI (opencv-python-headless): install "
                           "opencv-python on the display unit for the kiosk window") from exc
    return cv2


class WindowSink(FrameSink):
    """Shows frames fullscreen without borders; ``closed`` turns True if the user quits."""

    name = "window"

    def __init__(self, title: str = "kiosk", fullscreen: bool = True) -> None:
        self._cv2 = _gui()
        self.title = title
        self.closed = False
        cv2 = self._cv2
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)
        if fullscreen:
            cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)

    def write(self, frame: np.ndarray, t: float) -> None:
        if self.closed:
            return
        self._cv2.imshow(self.title, frame)
        key = self._cv2.waitKey(1) & 0xFF
        if key == 27:  # Esc: a technician leaves the kiosk window
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._cv2.destroyWindow(self.title)
