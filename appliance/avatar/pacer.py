"""Frame pacing for live display: a pure deadline keeper plus a render loop thread.

:class:`FramePacer` decides, from plain clock readings, when the next frame is due
and how many deadlines were missed (dropped frames). The live loop renders each
frame for the moment it starts drawing it, and the lips for where the *audio
clock* stands at that moment: a late frame is dropped, never a mouth shape, and
the mouth never runs ahead of (or behind) the sound when the speaker or the
renderer is starved for CPU.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from appliance.avatar.scene import Scene
from appliance.avatar.sinks.base import DisplayError, FrameSink

logger = logging.getLogger(__name__)


@dataclass
class FramePacer:
    """Deadlines every ``1/fps`` seconds from ``t0``; counts frames and drops."""

    fps: float
    t0: float
    index: int = 0
    dropped: int = 0

    @property
    def interval(self) -> float:
        return 1.0 / self.fps

    def deadline(self) -> float:
        """When the next frame is due (clock seconds)."""
        return self.t0 + self.index * self.interval

    def advance(self, now: float) -> int:
        """Mark the frame shown at ``now``; skip deadlines already missed. Returns skipped."""
        self.index += 1
        skipped = 0
        while self.deadline() + self.interval <= now:
            self.index += 1
            skipped += 1
        self.dropped += skipped
        return skipped


STALE_FRAMES = 1.5
"""A frame that took longer than this many frame intervals to draw is redrawn, not shown."""

HeardAt = Callable[[float], "tuple[float, float] | None"]
"""Clock time -> (reply start, seconds of it heard), or None when no reply plays."""


class DisplayLoop:
    """Renders ``scene`` at ``fps`` into ``sinks`` on a thread, on the monotonic clock.

    ``heard`` (the audio clock) places the lips; without it they follow the clock.
    """

    def __init__(self, scene: Scene, sinks: Sequence[FrameSink], fps: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 heard: HeardAt | None = None) -> None:
        self.scene, self.sinks, self.fps, self.clock = scene, list(sinks), fps, clock
        self.heard = heard
        self.lead_s = 0.0
        """How far ahead of now frames are drawn (the recent draw time)."""
        self.stale = 0
        """Frames drawn but dropped because drawing them took too long."""
        self.pacer = FramePacer(fps, clock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.pacer = FramePacer(self.fps, self.clock())
        self._thread = threading.Thread(target=self._run, name="avatar-display", daemon=True)
        self._thread.start()

    def _draw(self) -> tuple[np.ndarray, float]:
        """Render for the moment the frame will be seen: now plus the usual draw time."""
        start = self.clock()
        at = start + self.lead_s
        frame = self.scene.render(at, self.heard(at) if self.heard else None)
        took = self.clock() - start
        # the lead follows the recent draw time (never more than a frame), so the lips
        # shown are the lips of the sound heard when the frame lands
        self.lead_s = min(self.pacer.interval, 0.8 * self.lead_s + 0.2 * took)
        return frame, took

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.pacer.deadline()
            wait = due - self.clock()
            if wait > 0 and self._stop.wait(wait):
                break
            frame, took = self._draw()
            if took > STALE_FRAMES * self.pacer.interval:
                # drawing was starved (preempted mid-frame): this mouth belongs to a
                # moment already gone; drop the frame and draw the present instead
                self.stale += 1
                frame, took = self._draw()
            now = self.clock()
            for sink in list(self.sinks):
                try:
                    sink.write(frame, now)
                except DisplayError as exc:  # a broken sink degrades, never stops the loop
                    logger.error("display sink %s failed (%s): %s", sink.name, exc.code, exc)
                    self.sinks.remove(sink)
            skipped = self.pacer.advance(self.clock())
            if skipped:
                logger.debug("display dropped %d frame(s)", skipped)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sink in self.sinks:
            try:
                sink.close()
            except DisplayError as exc:
                logger.error("closing sink %s: %s", sink.name, exc)
