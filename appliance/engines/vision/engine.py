"""The vision engine: detector + tracker + engagement -> :class:`Presence` frames.

Images go in and are dropped after detection; only counts and bearings come
out. Detection runs on every ``detect_every``-th frame (tracks carry over in
between), and a :class:`Presence` is returned only when something a
behaviour cares about changed: an event, the face count, engagement, or the
nearest bearing moving by ``bearing_step_deg``.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from appliance.engines.vision.base import FaceDetector
from appliance.engines.vision.engagement import EngagementEstimator, EngagementState
from appliance.engines.vision.fusion import ActiveSpeaker, pick_active_speaker
from appliance.engines.vision.tracker import FaceTracker
from appliance.frames import Presence

logger = logging.getLogger(__name__)


class VisionEngine:
    """Turns camera frames into presence events."""

    def __init__(self, detector: FaceDetector, *, hfov_deg: float = 70.0,
                 mirrored: bool = False, min_face_frac: float = 0.08,
                 engage_after_s: float = 1.0, leave_after_s: float = 2.0,
                 detect_every: int = 1, bearing_step_deg: float = 5.0) -> None:
        self.detector = detector
        self.tracker = FaceTracker(max_age_s=max(0.5, leave_after_s / 2))
        self.engagement = EngagementEstimator(hfov_deg=hfov_deg, mirrored=mirrored,
                                              min_face_frac=min_face_frac,
                                              engage_after_s=engage_after_s,
                                              leave_after_s=leave_after_s)
        self.detect_every = max(1, detect_every)
        self.bearing_step_deg = bearing_step_deg
        self.last: EngagementState | None = None
        self._count = 0
        self._reported: tuple[int, bool, float | None] | None = None

    def process(self, image: np.ndarray, now: float | None = None) -> Presence | None:
        """Look at one BGR frame; returns a :class:`Presence` when something changed."""
        now = time.monotonic() if now is None else now
        self.engagement.image_width = int(image.shape[1])
        if self._count % self.detect_every == 0:
            tracks = self.tracker.update(self.detector.detect(image), now)
        else:
            tracks = self.tracker.confirmed()
        self._count += 1
        state = self.engagement.update(tracks, now)
        self.last = state
        return self._presence(state, now)

    def _presence(self, state: EngagementState, now: float) -> Presence | None:
        bearing = state.nearest_bearing_deg
        previous = self._reported
        moved = (previous is not None and bearing is not None and previous[2] is not None
                 and abs(bearing - previous[2]) >= self.bearing_step_deg)
        key = (state.faces, state.engaged, bearing)
        if state.event or previous is None or key[:2] != previous[:2] or moved \
                or (bearing is None) != (previous[2] is None):
            self._reported = key
            rounded = None if bearing is None else round(bearing, 1)
            return Presence(faces=state.faces, engaged=state.engaged,
                            nearest_bearing_deg=rounded, event=state.event, ts=now)
        return None

    def active_speaker(self, audio_bearing_deg: float | None) -> ActiveSpeaker:
        """Fuse the current faces with the microphone array's bearing."""
        tracks = self.tracker.confirmed()
        bearings = {t.id: self.engagement.bearing(t) for t in tracks}
        nearest = self.last.nearest.id if self.last and self.last.nearest else None
        return pick_active_speaker(bearings, audio_bearing_deg, nearest_track=nearest)
