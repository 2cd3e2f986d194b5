"""Fullscreen SDL2 window (pygame) for the kiosk screen: works with headless OpenCV.

The kiosk's OpenCV is ``opencv-python-headless`` (no HighGUI), so the display session
shows frames through SDL2 instead: native on Wayland (cage) or X11;
``SDL_VIDEODRIVER=dummy`` runs it off-screen (tests). Frames are scaled to the screen
keeping their aspect (black bars where the shapes differ).

A touch (``FINGERDOWN``) or a left click (``MOUSEBUTTONDOWN``) is mapped back to the
pixels of the frame shown and given to ``on_press`` (the touch panel,
:mod:`appliance.avatar.touch.screen`); a touch is not counted twice through the mouse
event SDL makes from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from appliance.avatar.sinks.base import DisplayError, FrameSink


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame
    except ImportError as exc:
        raise DisplayError("pygame is not installed (pip install pygame) and this OpenCV "
                           "has no GUI: nothing can open a window") from exc
    return pygame


class SdlWindowSink(FrameSink):
    """Shows BGR frames in a borderless fullscreen SDL window; Esc or a quit sets ``closed``."""

    name = "sdl-window"

    def __init__(self, title: str = "kiosk", fullscreen: bool = True,
                 size: tuple[int, int] = (540, 960)) -> None:
        pg = self._pg = _pygame()
        try:
            pg.display.init()
            flags = pg.FULLSCREEN | pg.NOFRAME if fullscreen else 0
            self._screen = pg.display.set_mode((0, 0) if fullscreen else size, flags)
        except pg.error as exc:
            raise DisplayError(f"cannot open an SDL window: {exc}") from exc
        pg.display.set_caption(title)
        pg.mouse.set_visible(False)
        self.closed = False
        self.driver = pg.display.get_driver()
        self.on_press: Callable[[float, float], None] | None = None
        """Called with a touch's or click's point in the shown frame's pixels."""
        self._shown: tuple[int, int, float, int, int] | None = None  # x, y, scale, w, h

    def to_frame(self, x: float, y: float) -> tuple[float, float] | None:
        """A window point in the last frame's pixels; None outside it (the bars)."""
        if self._shown is None:
            return None
        ox, oy, k, w, h = self._shown
        fx, fy = (x - ox) / k, (y - oy) / k
        return (fx, fy) if 0 <= fx < w and 0 <= fy < h else None

    def to_window(self, x: float, y: float) -> tuple[float, float]:
        """A point of the last frame in window pixels (the inverse of :meth:`to_frame`)."""
        ox, oy, k, _w, _h = self._shown or (0, 0, 1.0, 0, 0)
        return ox + x * k, oy + y * k

    def _pressed(self, event: Any) -> None:
        pg = self._pg
        if event.type == pg.FINGERDOWN:  # x, y are 0..1 of the window
            sw, sh = self._screen.get_size()
            at = self.to_frame(event.x * sw, event.y * sh)
        elif (event.type == pg.MOUSEBUTTONDOWN and event.button == 1
              and not getattr(event, "touch", False)):  # SDL's copy of a touch: had it
            at = self.to_frame(*event.pos)
        else:
            return
        if at is not None and self.on_press is not None:
            self.on_press(*at)

    def _fit(self, frame: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        sw, sh = self._screen.get_size()
        h, w = frame.shape[:2]
        k = min(sw / w, sh / h)
        if abs(k - 1.0) > 1e-3:
            w, h = max(1, round(w * k)), max(1, round(h * k))
            frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA if k < 1
                               else cv2.INTER_LINEAR)
        return frame, ((sw - w) // 2, (sh - h) // 2)

    def write(self, frame: np.ndarray, t: float) -> None:
        if self.closed:
            return
        pg = self._pg
        for event in pg.event.get():
            if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                self.close()
                return
            self._pressed(event)
        image, at = self._fit(np.ascontiguousarray(frame))
        self._shown = (at[0], at[1], image.shape[1] / frame.shape[1], frame.shape[1],
                       frame.shape[0])
        surface = pg.image.frombuffer(image.tobytes(), (image.shape[1], image.shape[0]), "BGR")
        self._screen.blit(surface, at)
        pg.display.flip()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._pg.display.quit()
