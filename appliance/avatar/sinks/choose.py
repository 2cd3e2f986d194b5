"""Which sinks the live avatar of ``kiosk run`` writes to, from ``[avatar]`` settings.

- the MJPEG stream on ``127.0.0.1:<mjpeg_port>`` when the port is non-zero: what the
  display session (``kiosk display``) shows full screen, and a technician's preview;
- a fullscreen window when ``window`` is true *and* a display is usable here
  (``DISPLAY``/``WAYLAND_DISPLAY`` set, and pygame or a GUI build of OpenCV). Otherwise
  one log line says why and the kiosk carries on headless.

A sink that cannot open is logged and left out: the conversation never depends on a
screen.
"""

from __future__ import annotations

import functools
import logging
import os

import numpy as np

from appliance.avatar.sinks.base import DisplayError, FrameSink
from appliance.avatar.sinks.mjpeg import MjpegPreview
from appliance.settings import AvatarSettings

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def opencv_has_gui() -> bool:
    """True when this OpenCV build has HighGUI (``opencv-python``, not ``-headless``)."""
    import cv2

    for line in cv2.getBuildInformation().splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip() == "GUI":
            return value.strip().upper() not in ("", "NONE")
    return False


def _has_pygame() -> bool:
    import importlib.util

    return importlib.util.find_spec("pygame") is not None


def display_problem() -> str | None:
    """Why no window can be shown here, or None when one can.

    An explicit ``SDL_VIDEODRIVER`` (``wayland`` in the display unit, ``dummy`` for
    tests) is trusted; SDL reports itself if it cannot connect.
    """
    explicit_sdl = bool(os.environ.get("SDL_VIDEODRIVER")) and _has_pygame()
    if not explicit_sdl and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display server (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    if not (opencv_has_gui() or _has_pygame()):
        return "neither pygame nor a GUI build of OpenCV is installed"
    return None


def open_window(title: str = "kiosk", fullscreen: bool = True,
                size: tuple[int, int] = (540, 960)) -> FrameSink:
    """A fullscreen window: SDL2 (pygame) where installed, else OpenCV's HighGUI."""
    if _has_pygame():
        from appliance.avatar.sinks.sdl import SdlWindowSink

        return SdlWindowSink(title, fullscreen, size)
    from appliance.avatar.sinks.window import WindowSink

    return WindowSink(title, fullscreen)


class DeferredWindow(FrameSink):
    """A window opened by the thread that first writes to it.

    GUI windows belong to the thread that made them; the display loop's thread is
    the one that shows frames, so it also opens the window.
    """

    name = "window"

    def __init__(self, title: str = "kiosk") -> None:
        self.title = title
        self._window: FrameSink | None = None

    def write(self, frame: np.ndarray, t: float) -> None:
        if self._window is None:
            self._window = open_window(self.title, size=(frame.shape[1], frame.shape[0]))
        self._window.write(frame, t)

    def close(self) -> None:
        if self._window is not None:
            self._window.close()


def stream_sink(settings: AvatarSettings, host: str = "127.0.0.1") -> MjpegPreview:
    """The full-size, full-rate MJPEG stream the display session shows."""
    return MjpegPreview(port=settings.mjpeg_port, host=host, max_fps=2.0 * settings.fps,
                        width=settings.width, quality=85)


def open_live_sinks(settings: AvatarSettings) -> list[FrameSink]:
    """The sinks the settings ask for and this machine allows (possibly none)."""
    sinks: list[FrameSink] = []
    if settings.mjpeg_port:
        try:
            sinks.append(stream_sink(settings))
        except DisplayError as exc:
            logger.error("avatar stream off: %s [%s]", exc, exc.code)
    else:
        logger.info("avatar stream off (avatar.mjpeg_port = 0): `kiosk display` has "
                    "nothing to show")
    if settings.window:
        problem = display_problem()
        if problem is None:
            sinks.append(DeferredWindow())
        else:
            how = "the display session shows the stream" if sinks else "running headless"
            logger.info("avatar window off: %s; %s", problem, how)
    return sinks
