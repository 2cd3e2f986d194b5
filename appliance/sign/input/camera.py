"""Camera frames for sign input, taken from a camera that something else already reads.

The kiosk's camera is opened once, by the presence watcher
(:class:`~appliance.devices.presence.PresenceWatcher`), on its own thread. A
:class:`FrameTap` is one of the watcher's taps: :meth:`FrameTap.offer` is called there
with every captured BGR frame and keeps at most ``fps`` of them a second, turned to RGB
(a copy: the camera's image is never kept), while a visitor is there. They reach the
kiosk's loop through ``call_soon_threadsafe`` into a queue of one (the newest wins, so a
slow landmarker never builds a backlog), and :meth:`FrameTap.frames` yields them as
``(t, rgb)`` for :class:`~appliance.sign.input.mediapipe_source.MediaPipeSource`.

When the visitor leaves, ``idle_frames`` frames without an image (``(t, None)``: "no
hand", the landmarker is not run) still go out so the speller can end the word being
spelt, and then nothing until someone is there again. No image is stored or sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import cast

import numpy as np

logger = logging.getLogger(__name__)

SLACK_S = 0.005
"""A frame this early for its slot still counts (capture times jitter by milliseconds)."""
_END = object()

TapItem = tuple[float, np.ndarray | None]
"""A frame's capture time and its RGB image (None: nobody there, nothing to look at)."""


class FrameTap:
    """Camera thread -> kiosk loop: at most ``fps`` RGB frames a second, while present.

    ``present`` (called on the camera's thread) says whether a visitor is there: ``True``,
    ``False``, or ``None`` when nobody can tell (then every frame counts).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fps: float = 10.0,
                 present: Callable[[], bool | None] = lambda: None,
                 idle_frames: int = 8) -> None:
        self.loop = loop
        self.interval = 1.0 / max(0.1, fps)
        self.present = present
        self.idle_frames = idle_frames
        self.passed = 0
        """Frames handed on with their image."""
        self.skipped_absent = 0
        """Frames in their slot not looked at because nobody was there."""
        self._due = float("-inf")
        self._quiet = idle_frames  # nobody seen yet: no empty frames to send
        self._closed = False
        self._queue: asyncio.Queue[object] = asyncio.Queue(1)

    def offer(self, image: np.ndarray, t: float) -> None:
        """One captured BGR frame at monotonic time ``t`` (any thread; cheap when skipped)."""
        if self._closed or t < self._due - SLACK_S:
            return
        # keep the schedule (30 -> 12 fps alternates gaps of 3 and 2 frames); after a
        # stall, start again from this frame rather than catching up
        self._due = self._due + self.interval if t - self._due < self.interval \
            else t + self.interval
        item: TapItem
        if self.present() is False:
            self.skipped_absent += 1
            if self._quiet >= self.idle_frames:
                return
            self._quiet += 1
            item = (t, None)
        else:
            self._quiet = 0
            self.passed += 1
            item = (t, np.ascontiguousarray(image[..., ::-1]))  # BGR -> RGB, a copy
        self._send(item)

    def close(self) -> None:
        """End :meth:`frames` (any thread); later offers are ignored."""
        self._closed = True
        self._send(_END)

    def _send(self, item: object) -> None:
        with contextlib.suppress(RuntimeError):  # the kiosk's loop already closed
            self.loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: object) -> None:
        if self._queue.full():
            dropped = self._queue.get_nowait()
            if dropped is _END:  # the end is never dropped
                item = _END
        self._queue.put_nowait(item)

    async def frames(self) -> AsyncIterator[TapItem]:
        """``(t, rgb)`` (``rgb`` is None: nobody there) until :meth:`close`."""
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            yield cast(TapItem, item)
