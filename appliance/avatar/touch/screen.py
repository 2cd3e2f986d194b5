"""Touch and text in ``kiosk display``: the panel under the avatar, live.

:class:`TouchScreen` sits between the viewer and the window. Each time the stream
(re)connects it asks the server for its desk (in a thread: the screen never waits on
HTTP); a server without one (an older ``kiosk run``, 404) gets no panel, and nothing
else changes. While the stream shows, :meth:`compose` draws the panel under the avatar
and :meth:`press` takes the window's touches, in screen pixels. A question (or a touch
on the station plan) is posted in a thread; the server's refusal (or the plan's hint), or
the question asked, becomes the panel's notice. The same thread then waits for the reply
(``GET /touch/reply``) and the panel shows it in large text. The plan is fetched in a
thread too, drawn by the desk at the size the panel shows it.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from appliance.avatar.touch.client import Answered, NoDesk, Posted, TouchClient
from appliance.avatar.touch.panel import Asked, PlanPress, TouchPanel

logger = logging.getLogger(__name__)

REPLY_WAIT_S = 30.0
"""How long the panel waits for the kiosk's reply to a question it posted."""
PLAN_RETRY_S = 1.0
"""How soon the plan is fetched again after the desk could not give it."""


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
        self._pending_reply: tuple[str, Answered] | None = None  # (question, reply)
        self._pending_plan: np.ndarray | None = None
        self._plan_wanted: tuple[int, int] | None = None  # the size fetched or being fetched
        self._asking = 0  # bumped per question posted: an older one's reply is not shown

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
        panel = TouchPanel((0, 0), desk.suggestions, desk.max_chars, plan=desk.plan)
        with self._lock:
            self._pending_panel = panel
            self._plan_wanted = None
        self.desk = "yes"

    def compose(self, frame: np.ndarray) -> np.ndarray:
        """The screen for a stream frame: with the panel under it when there is a desk."""
        with self._lock:
            if self.desk == "none":
                self.panel = None
            elif self._pending_panel is not None:
                self.panel, self._pending_panel = self._pending_panel, None
            notice, self._pending_notice = self._pending_notice, None
            reply, self._pending_reply = self._pending_reply, None
            plan, self._pending_plan = self._pending_plan, None
        panel = self.panel
        if panel is None:
            self.visible = False
            return frame
        if notice is not None:
            panel.notice = notice[0]
            if notice[1]:
                panel.line.clear()
        if reply is not None and not (panel.mode == "keyboard" and panel.line.text):
            panel.show_reply(reply[0], reply[1].text, reply[1].language)  # not over typing
        if plan is not None:
            panel.plan_image = plan
        if panel.forget_if_idle():
            logger.info("touch panel idle: back to the suggestions")
        panel.size = (frame.shape[1], frame.shape[0])
        if panel.mode == "plan":
            self._want_plan(panel.plan_size())
        self.visible = True
        return panel.compose(frame)

    def _want_plan(self, size: tuple[int, int]) -> None:
        """Fetch the plan drawn at ``size`` unless it is fetched (or being fetched)."""
        with self._lock:
            if self._plan_wanted == size:
                return
            self._plan_wanted = size
        threading.Thread(target=self._fetch_plan, args=(size,), name="touch-plan",
                         daemon=True).start()

    def _fetch_plan(self, size: tuple[int, int]) -> None:
        image = self.client.plan_image(size)
        if image is None:
            time.sleep(PLAN_RETRY_S)  # not at the frame rate while the desk cannot draw it
        with self._lock:
            if image is not None:
                self._pending_plan = image
            elif self._plan_wanted == size:
                self._plan_wanted = None  # the next frame asks again

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

    def _ask(self, asked: Asked | PlanPress) -> None:
        posted = Posted(None)
        try:
            if isinstance(asked, PlanPress):
                posted = self.client.touch_plan(asked.x, asked.y, asked.size, asked.sign)
            else:
                posted = self.client.post(asked.text, asked.source, asked.sign)
        finally:
            taken = posted.turn is not None
            line = f"You asked: {posted.question}" if taken else posted.line
            with self._lock:
                self._pending_notice = (line, taken and isinstance(asked, Asked)
                                        and asked.source == "text")
                self._busy = False
                self._asking += 1
                mine = self._asking
        if posted.turn is None:
            return
        answered = self.client.reply(posted.turn, REPLY_WAIT_S,
                                     still=lambda: self._asking == mine)
        if answered is None:
            return
        with self._lock:
            if self._asking == mine:
                self._pending_reply = (posted.question, answered)
