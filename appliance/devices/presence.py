"""Who is in front of the kiosk: the camera and the vision engine on their own thread.

:class:`PresenceWatcher` runs the camera and :class:`VisionEngine` on a thread
with its own small event loop (capture and face detection block), analyses at
most ``fps`` frames a second (the rest are dropped unseen; no image is ever
kept, written or sent) and hands each change to the kiosk's loop with
``call_soon_threadsafe``: a :class:`Presence` plus the bearing the avatar should
look at, the active speaker (the face whose bearing agrees with the microphone
array's, see :func:`~appliance.engines.vision.fusion.pick_active_speaker`).

Other readers of the same camera (sign input) do not open it again: each is a *tap*
(:attr:`PresenceWatcher.taps`), called on this thread with every captured frame before
the vision's own rate limit; a tap must be quick (take what it needs, hand it on).

A camera that fails to open or is lost sets its ``health`` (``camera-open-failed``
/ ``camera-lost``), is reported once through ``on_failure`` and is retried every
``retry_s``; the conversation never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

import numpy as np

from appliance.engines.vision.engine import VisionEngine
from appliance.frames import Presence
from hw.camera import Camera
from hw.health import DeviceHealth, HealthState

logger = logging.getLogger(__name__)

GAZE_STEP_DEG = 3.0
"""A new gaze target is sent when it moved at least this far."""

FrameTapCallback = Callable[[np.ndarray, float], None]
"""A tap: ``(BGR image, captured_at)`` on the presence thread, for every captured frame."""
PresenceCallback = Callable[[Presence], None]
"""Called on the kiosk's loop; ``nearest_bearing_deg`` is where to look (the active speaker)."""


class PresenceWatcher:
    """Camera + vision on a thread; presence changes delivered on the kiosk's loop."""

    def __init__(self, camera: Camera, vision: VisionEngine, loop: asyncio.AbstractEventLoop,
                 on_presence: PresenceCallback, *, fps: float = 8.0,
                 audio_bearing: Callable[[], float | None] = lambda: None,
                 on_failure: Callable[[DeviceHealth], None] | None = None,
                 retry_s: float = 30.0) -> None:
        self.camera = camera
        self.vision = vision
        self.loop = loop
        self.on_presence = on_presence
        self.min_interval = 1.0 / max(0.5, fps)
        self.audio_bearing = audio_bearing
        self.on_failure = on_failure
        self.retry_s = retry_s
        self.analysed = 0
        """Frames looked at so far."""
        self.taps: list[FrameTapCallback] = []
        """Other readers of this camera's frames (see the module's doc)."""
        self._tap_failed: set[int] = set()
        self._gaze: float | None = None
        self._last_at = -1e9
        self._thread: threading.Thread | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = threading.Event()
        self._reported_failure = False

    @property
    def health(self) -> DeviceHealth:
        return self.camera.health

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start the ``presence`` thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._thread_main, name="presence", daemon=True)
        self._thread.start()
        logger.info("presence: %s analysed at up to %.0f fps", self.camera.name,
                    1.0 / self.min_interval)

    async def stop(self) -> None:
        """Stop the thread and release the camera."""
        self._stopping.set()
        own, task = self._own_loop, self._task
        if own is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # its loop already closed
                own.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # the camera must never take the kiosk down
            logger.exception("presence thread failed")
            self.health.fail("vision-failed", "the presence thread stopped")

    async def _main(self) -> None:
        self._own_loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        try:
            while not self._stopping.is_set():
                await self._watch()
                if self._stopping.is_set():
                    return
                self._failed()
                await self.camera.close()  # a lost device is reopened from scratch
                await asyncio.sleep(self.retry_s)
        except asyncio.CancelledError:
            pass
        finally:
            with contextlib.suppress(Exception):
                await self.camera.close()

    async def _watch(self) -> None:
        """Analyse frames until the camera ends (or fails to open)."""
        async for frame in self.camera.frames():
            if self._stopping.is_set():
                return
            self._feed_taps(frame.image, frame.captured_at)
            if frame.captured_at - self._last_at < self.min_interval:
                continue
            self._last_at = frame.captured_at
            if self._reported_failure and self.health.state == HealthState.OK:
                logger.info("camera %s is back", self.camera.name)
                self._reported_failure = False
            try:
                presence = self.analyse(frame.image, frame.captured_at)
            except Exception as exc:  # a detector bug: count it, keep watching
                logger.exception("vision failed on a frame")
                self.health.degrade("vision-failed", str(exc)[:200])
                continue
            if presence is not None:
                self.loop.call_soon_threadsafe(self.on_presence, presence)
        if self.health.state != HealthState.FAILED and not self._stopping.is_set():
            self.health.fail("camera-lost", f"{self.camera.name} stopped delivering frames")

    def _feed_taps(self, image: np.ndarray, captured_at: float) -> None:
        for tap in tuple(self.taps):
            try:
                tap(image, captured_at)
            except Exception:  # a tap's bug must not blind the kiosk
                if id(tap) not in self._tap_failed:
                    self._tap_failed.add(id(tap))
                    logger.exception("a camera frame tap failed (logged once per tap)")

    def _failed(self) -> None:
        if not self._reported_failure:
            self._reported_failure = True
            logger.error("camera unavailable (%s: %s); the kiosk goes on without presence, "
                         "retrying every %.0f s", self.health.code, self.health.message,
                         self.retry_s)
            if self.on_failure is not None:
                health = self.health
                self.loop.call_soon_threadsafe(self.on_failure, health)

    # --- one frame ------------------------------------------------------------------------

    def analyse(self, image: np.ndarray, now: float) -> Presence | None:
        """Look at one frame; a :class:`Presence` when the scene or the gaze target changed.

        Its ``nearest_bearing_deg`` is the active speaker's bearing: the face that
        agrees with the voice's direction while someone talks, else the nearest face.
        """
        self.analysed += 1
        presence = self.vision.process(image, now)
        speaker = self.vision.active_speaker(self.audio_bearing())
        gaze = None if speaker.bearing_deg is None else round(speaker.bearing_deg, 1)
        moved = (gaze is None) != (self._gaze is None) or (
            gaze is not None and self._gaze is not None
            and abs(gaze - self._gaze) >= GAZE_STEP_DEG)
        if presence is None and not moved:
            return None
        self._gaze = gaze
        state = self.vision.last
        if presence is None:
            faces = state.faces if state is not None else 0
            engaged = state.engaged if state is not None else False
            return Presence(faces=faces, engaged=engaged, nearest_bearing_deg=gaze, ts=now)
        return Presence(faces=presence.faces, engaged=presence.engaged,
                        nearest_bearing_deg=gaze, event=presence.event, ts=now)
