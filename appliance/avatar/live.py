"""The live avatar of ``kiosk run``: pipeline frames in, paced frames out to the sinks.

Three threads, none of them the asyncio loop's:

- the loop only *enqueues* (``on_frame``, ``on_played``: a ``put_nowait`` each), so a
  reply's subtitle layout (~10 ms) or the out-of-service screen (~25 ms) never delays
  the conversation;
- ``avatar-events`` applies the frames to the :class:`Scene` (through
  :class:`AvatarOutput`, stamped with the time they reached the end of the line) and
  falls back to the attract loop after a quiet spell;
- ``avatar-display`` (:class:`DisplayLoop`) renders the scene on the same monotonic
  clock as the speaker and writes each frame to the sinks.

The speaker says when a reply *really* started (its first block's monotonic time,
``AudioOutput.log.started_at``) and, block by block, how much of it has been heard:
that :class:`AudioClock` places the lips, the words and the gestures, so a starved
speaker or a late frame never leaves the mouth shut while the voice goes on.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from appliance.avatar.answer_map import AnswerMaps
from appliance.avatar.audioclock import AudioClock
from appliance.avatar.media import preload
from appliance.avatar.output import FATAL_CODES, AvatarOutput
from appliance.avatar.pacer import DisplayLoop
from appliance.avatar.scene import Scene
from appliance.avatar.sinks.base import FrameSink
from appliance.avatar.sinks.choose import open_live_sinks
from appliance.avatar.text2action import direction_from_source
from appliance.frames import (
    Frame,
    Interrupt,
    PlaybackStopped,
    Reply,
    SpeechAudio,
    SpeechStarted,
    StageError,
    Transcript,
    Visemes,
)
from appliance.settings import AvatarSettings
from appliance.sitepack.media import is_video

if TYPE_CHECKING:
    from appliance.app import Kiosk

logger = logging.getLogger(__name__)

GIL_SWITCH_S = 0.001
"""The interpreter's thread switch interval while the live avatar runs. Every OpenCV
call releases the GIL; with the default 5 ms a busy Python thread can make the display
thread wait 5 ms to get it back, dozens of times a frame. 1 ms bounds that wait."""

ATTRACT_AFTER_S = 45.0
"""Seconds without a conversation before the attract loop returns."""

_STARTED = "playback-started"


class LiveAvatar:
    """Drives a :class:`Scene` from a running :class:`Kiosk` and shows it on ``sinks``.

    ``sinks=None`` opens those the settings ask for (MJPEG stream, window when a
    display is usable); tests pass their own. ``start()`` / ``stop()`` run the threads.
    """

    def __init__(self, settings: AvatarSettings, sinks: Sequence[FrameSink] | None = None,
                 clock: Callable[[], float] = time.monotonic, queue_size: int = 512,
                 attract_after_s: float = ATTRACT_AFTER_S) -> None:
        cv2.setNumThreads(1)  # one core for the renderer; the rest is the speech loop's
        self.settings = settings
        self.clock = clock
        self.scene = Scene((settings.width, settings.height), language=settings.language,
                           face=settings.face)
        self.scene.set_mode("attract")
        self._now = clock()
        self.audio = AudioClock()
        """Where the speaker is in the reply (fed by :meth:`on_block_played`)."""
        self.output = AvatarOutput(self.scene, clock=lambda: self._now,
                                   heard=lambda: self.audio.position(self._now))
        self.output.sign_replies = settings.sign_replies
        self.sinks = list(open_live_sinks(settings) if sinks is None else sinks)
        self.display = DisplayLoop(self.scene, self.sinks, fps=settings.fps, clock=clock,
                                   heard=self.heard_at)
        self.attract_after_s = attract_after_s
        self.dropped = 0
        """Frames not shown because the event queue was full (should stay 0)."""
        self._events: queue.Queue[tuple[object, float] | None] = queue.Queue(queue_size)
        self._thread: threading.Thread | None = None
        self._switch: float | None = None
        self._speaker_started: float | None = None
        self._interrupted_turn = 0
        self._last_activity = clock()

    # --- wiring (called on the asyncio loop: enqueue only) ------------------------------

    def attach(self, kiosk: Kiosk) -> None:
        """Listen to the kiosk's pipeline end and its speaker; show the site pack's
        screen lines (attract, out of service) in the pack's languages."""
        from appliance.engines.qa.site_qa import SiteQa

        if isinstance(kiosk.engines.qa, SiteQa):
            pack = kiosk.engines.qa.pack
            self.scene.set_screens(pack.manifest.screen_lines())
            self.output.direction_of = lambda source: direction_from_source(source, pack)
            self.output.answer_maps = AnswerMaps(pack)
            self.output.media_root = pack.root  # answers name media inside the pack
            videos = {m for m in [*pack.manifest.media.values(), *(m for e in pack.faq
                                                                   for m in e.media)]
                      if is_video(m)}  # decoded now, in the background: shown at once
            preload([pack.root / m for m in sorted(videos)], self.scene.media_size)
            self.output.sign_language = pack.manifest.sign_language
        if self.settings.sign_replies and not self.output.sign_language:
            logger.warning("avatar.sign_replies is on but the site pack names no "
                           "sign_language: replies are not signed")
        kiosk.pipeline.on_frame(self.on_frame)
        speaker = kiosk.speaker

        def played(block: np.ndarray, rate: int, now: float) -> None:
            started = speaker.log.started_at
            if started is None:
                return
            self.on_block_played(started, speaker.position, len(block) / rate, now)
            if started != self._speaker_started:
                self._speaker_started = started
                self.on_playback_started(started)

        speaker.listeners.append(played)

    def on_block_played(self, started: float, position: float, length: float,
                        at: float) -> None:
        """The speaker played ``length`` s of the reply that began at ``started``,
        reaching ``position`` s, at clock time ``at`` (any thread: no queue, no lock wait)."""
        self.audio.played(started, position, length, at)

    def heard_at(self, now: float) -> tuple[float, float] | None:
        """(reply start, seconds heard) at ``now`` for the reply on screen, else None."""
        start = self.output.reply_start
        if start is None or self.audio.stream != start:
            return None
        pos = self.audio.position(now)
        return None if pos is None else (start, pos)

    def on_frame(self, frame: Frame) -> None:
        """A frame reached the end of the pipeline."""
        self._put(frame)

    def on_playback_started(self, at: float) -> None:
        """The speaker played the current reply's first sample at clock time ``at``."""
        self._put((_STARTED, at))

    def _put(self, item: object) -> None:
        try:
            self._events.put_nowait((item, self.clock()))
        except queue.Full:
            self.dropped += 1
            logger.warning("avatar event queue full: %s dropped", type(item).__name__)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the event and display threads."""
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch, GIL_SWITCH_S))
        self._thread = threading.Thread(target=self._run, name="avatar-events", daemon=True)
        self._thread.start()
        self.display.start()
        logger.info("live avatar: %dx%d at %d fps on %s", self.settings.width,
                    self.settings.height, self.settings.fps,
                    ", ".join(s.name for s in self.sinks) or "no screen (headless)")

    def stop(self) -> None:
        """Stop both threads and close the sinks."""
        if self._thread is not None:
            self._events.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        self.display.stop()
        if self._switch is not None:
            sys.setswitchinterval(self._switch)
            self._switch = None
        if self.display.pacer.dropped:
            logger.info("live avatar: %d frames shown, %d dropped", self.display.pacer.index,
                        self.display.pacer.dropped)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued event is applied (tests)."""
        deadline = time.monotonic() + timeout
        while self._events.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._events.unfinished_tasks

    # --- the events thread ------------------------------------------------------------------

    def _run(self) -> None:
        checked = self.clock()
        while True:
            if self.clock() - checked >= 1.0:
                checked = self.clock()
                self._maybe_attract()
            try:
                item = self._events.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                if item is None:
                    return
                self._apply(*item)
            except Exception:  # a drawing bug must not take the events thread down
                logger.exception("live avatar: cannot apply %r", item[0] if item else item)
            finally:
                self._events.task_done()

    def _apply(self, item: object, at: float) -> None:
        self._now = at
        if isinstance(item, tuple) and item[0] == _STARTED:
            self.output.playback_started(float(item[1]))
            return
        frame = item
        if not isinstance(frame, Frame):
            return
        if isinstance(frame, Interrupt):
            self._interrupted_turn = max(self._interrupted_turn, frame.turn_id)
        elif isinstance(frame, (Reply, SpeechAudio, Visemes)) \
                and 0 < frame.turn_id < self._interrupted_turn:
            return  # a stale piece of a reply the visitor talked over
        if isinstance(frame, (SpeechStarted, Transcript, Reply)):
            self._last_activity = at
        was_out = self.scene.state.mode == "out_of_service"
        if isinstance(frame, SpeechStarted) and self.scene.state.mode in ("attract", "idle"):
            self.scene.set_mode("listening")
        if isinstance(frame, (Interrupt, PlaybackStopped)):
            self.audio.release(at)  # the sound stopped: gestures and words finish on time
        self.output.handle(frame)
        if isinstance(frame, PlaybackStopped) and not frame.interrupted \
                and self.scene.state.mode == "speaking":
            self.scene.set_mode("idle")
        if isinstance(frame, StageError) and frame.code in FATAL_CODES:
            self._last_activity = at
        elif was_out and self.scene.state.mode != "out_of_service":
            logger.info("live avatar: back in service")

    def _maybe_attract(self) -> None:
        mode = self.scene.state.mode
        if mode in ("idle", "listening", "speaking") and \
                self.clock() - self._last_activity > self.attract_after_s and \
                not self.scene.state.speaking_at(self.clock()):
            self.scene.set_mode("attract")
