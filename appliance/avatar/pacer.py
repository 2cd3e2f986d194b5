"""Frame pacing for live display: a pure deadline keeper plus a render loop thread.

:class:`FramePacer` decides, from plain clock readings, when the next frame is due
and how many deadlines were missed (dropped frames): the live loop renders the
frame for the *deadline's* time, never for "now", so motion stays on the audio
clock even when a frame is late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


class DisplayLoop:
    """Renders ``scene`` at ``fps`` into ``sinks`` on a thread, on the monotonic clock."""

    def __init__(self, scene: Scene, sinks: Sequence[FrameSink], fps: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.scene, self.sinks, self.fps, self.clock = scene, list(sinks), fps, clock
        self.pacer = FramePacer(fps, clock())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.pacer = FramePacer(self.fps, self.clock())
        self._thread = threading.Thread(target=self._run, name="avatar-display", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.pacer.deadline()
            wait = due - self.clock()
            if wait > 0 and self._stop.wait(wait):
                break
            frame = self.scene.render(due)
            for sink in list(self.sinks):
                try:
                    sink.write(frame, due)
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
