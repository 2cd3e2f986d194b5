"""Touch and text in ``kiosk display``: the panel under the avatar, live.

:class:`TouchScreen` sits between the viewer and the window. Each time the stream
(re)connects it asks the server for its desk (in a thread: the screen never waits on
HTTP); a server without one (an older ``kiosk run``, 404) gets no panel, and nothing
else changes. While the stream shows, :meth:`compose` draws the panel under the avatar
and :meth:`press` takes the window's touches, in screen pixels. A question is posted in
a thread; the server's refusal, or the question asked, becomes the panel's notice.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from appliance.avatar.touch.client import NoDesk, TouchClient
from appliance.avatar.touch.panel import Asked, TouchPanel

logger = logging.getLogger(__name__)


class TouchScreen:
    """The display's touch panel: desk discovery, drawing, touches, posting."""

    def __init__(self, client: TouchClient) -> None:
        self.client = client
        self.panel: TouchPanel | None = None
        self.desk = "unknown"
        """``unknown`` (not asked yet, or the server was away), ``yes`` or ``none``."""
        self.visible = False
        self._lock = threading.Lock()
        self._fetching = False
        self._busy = False  # a question in flight: a second tap does not post twice
        self._pending_panel: TouchPanel | None = None
        self._pending_notice: tuple[str, bool] | None = None  # (line, clear the text)

    def connected(self) -> None:
        """The stream (re)connected: learn (again) whether its server has a desk."""
        with self._lock:
            if self._fetching:
                return
            self._fetching = True
        threading.Thread(target=self._fetch, name="touch-desk", daemon=True).start()

    def _fetch(self) -> None:
        try:
            desk = self.client.desk()
        except NoDesk:
            if self.desk != "none":
                logger.info("touch panel off: the kiosk's server has no touch desk")
            self.desk = "none"
            with self._lock:
                self._pending_panel = None
            return
        except OSError as exc:  # went away again: the next connect asks again
            logger.info("touch panel: cannot reach the desk yet (%s)", exc)
            return
        finally:
            with self._lock:
                self._fetching = False
        logger.info("touch panel on (%d suggested questions)", len(desk.suggestions))
        panel = TouchPanel((0, 0), desk.suggestions, desk.max_chars)
        with self._lock:
            self._pending_panel = panel
        self.desk = "yes"

    def compose(self, frame: np.ndarray) -> np.ndarray:
        """The screen for a stream frame: with the panel under it when there is a desk."""
        with self._lock:
            if self.desk == "none":
                self.panel = None
            elif self._pending_panel is not None:
                self.panel, self._pending_panel = self._pending_panel, None
            notice, self._pending_notice = self._pending_notice, None
        panel = self.panel
        if panel is None:
            self.visible = False
            return frame
        if notice is not None:
            panel.notice = notice[0]
            if notice[1]:
                panel.line.clear()
        panel.size = (frame.shape[1], frame.shape[0])
        self.visible = True
        return panel.compose(frame)

    def hide(self) -> None:
        """The stream is not showing (a waiting screen): touches are ignored."""
        self.visible = False

    def press(self, x: float, y: float) -> None:
        """A touch at screen point (x, y) (the display thread)."""
        panel = self.panel
        if not self.visible or panel is None:
            return
        asked = panel.press(x, y)
        if asked is None:
            return
        with self._lock:
            if self._busy:
                return
            self._busy = True
        panel.notice = "Asking…"
        threading.Thread(target=self._ask, args=(asked,), name="touch-ask", daemon=True).start()

    def _ask(self, asked: Asked) -> None:
        refused = None
        try:
            refused = self.client.ask(asked.text, asked.source, asked.sign)
        finally:
            line = refused if refused is not None else f"You asked: {asked.text}"
            with self._lock:
                self._pending_notice = (line, refused is None and asked.source == "text")
                self._busy = False
