"""Is someone there, and are they talking to the kiosk? A pure state machine.

Fed the confirmed face tracks and the time, it walks ``idle -> present ->
engaged`` and back, and names the moments the behaviour layer cares about:

- ``approached``: a face has been confirmed in front of the kiosk;
- ``engaged``: the nearest face is close (face width >= ``min_face_frac`` of
  the image), facing the screen, and has stayed ``engage_after_s``;
- ``left``: no face for ``leave_after_s``.

Bearings follow :mod:`hw.array_geometry`: 0 straight ahead, positive to the
right of a visitor facing the screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from appliance.engines.vision.tracker import Track


def bearing_from_x(x: float, width: int, hfov_deg: float, *, mirrored: bool = False) -> float:
    """Bearing (degrees) of image column ``x`` for a camera of horizontal FOV ``hfov_deg``.

    An unmirrored camera looks at the visitor, so the image's right side is
    the visitor's left: a negative bearing.
    """
    offset = (x - width / 2) / (width / 2)
    angle = math.degrees(math.atan(offset * math.tan(math.radians(hfov_deg / 2))))
    return angle if mirrored else -angle


@dataclass
class EngagementState:
    """What the estimator concluded for one frame."""

    faces: int
    engaged: bool
    nearest: Track | None
    nearest_bearing_deg: float | None
    event: str = ""


class EngagementEstimator:
    """Dwell, distance and facing -> approached / engaged / left."""

    def __init__(self, *, image_width: int = 640, hfov_deg: float = 70.0,
                 mirrored: bool = False, min_face_frac: float = 0.08,
                 engage_after_s: float = 1.0, leave_after_s: float = 2.0) -> None:
        self.image_width = image_width
        self.hfov_deg = hfov_deg
        self.mirrored = mirrored
        self.min_face_frac = min_face_frac
        self.engage_after_s = engage_after_s
        self.leave_after_s = leave_after_s
        self.state = "idle"
        self._last_face_at: float | None = None
        self._unwanted_since: float | None = None

    def bearing(self, track: Track) -> float:
        cx, _ = track.face.center
        return bearing_from_x(cx, self.image_width, self.hfov_deg, mirrored=self.mirrored)

    def is_close(self, track: Track) -> bool:
        return track.face.w >= self.min_face_frac * self.image_width

    def update(self, tracks: list[Track], now: float) -> EngagementState:
        """Advance with this frame's confirmed tracks at monotonic time ``now``."""
        nearest = max(tracks, key=lambda t: t.face.w * t.face.h) if tracks else None
        event = ""
        if nearest is not None:
            self._last_face_at = now
            if self.state == "idle":
                self.state, event = "present", "approached"
            wants = self.is_close(nearest) and nearest.facing_for(now) >= self.engage_after_s
            if wants:
                self._unwanted_since = None
                if self.state == "present":
                    self.state, event = "engaged", "engaged"
            elif self.state == "engaged":
                # a glance away or a step back is forgiven for leave_after_s
                if self._unwanted_since is None:
                    self._unwanted_since = now
                elif now - self._unwanted_since >= self.leave_after_s:
                    self.state = "present"
        elif self.state != "idle" and (self._last_face_at is None
                                       or now - self._last_face_at >= self.leave_after_s):
            self.state, event = "idle", "left"
            self._unwanted_since = None
        bearing = self.bearing(nearest) if nearest is not None else None
        return EngagementState(len(tracks), self.state == "engaged", nearest, bearing, event)
