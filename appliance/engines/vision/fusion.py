"""Who is speaking: the camera's face bearings fused with the array's DOA.

The avatar looks at the face whose bearing agrees with where the voice comes
from; with no face near the voice it looks where the voice is; with no
voice it looks at the nearest face.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActiveSpeaker:
    """The chosen person: a face track (or None) and the bearing to look at."""

    track_id: int | None
    bearing_deg: float | None
    source: str
    """``fused`` (face + voice agree), ``audio``, ``camera`` or ``none``."""


def pick_active_speaker(face_bearings: dict[int, float], audio_bearing_deg: float | None, *,
                        nearest_track: int | None = None,
                        tolerance_deg: float = 20.0) -> ActiveSpeaker:
    """Fuse ``{track id: bearing}`` from the camera with the voice's bearing."""
    if audio_bearing_deg is not None:
        if face_bearings:
            track, bearing = min(face_bearings.items(),
                                 key=lambda kv: abs(kv[1] - audio_bearing_deg))
            if abs(bearing - audio_bearing_deg) <= tolerance_deg:
                return ActiveSpeaker(track, bearing, "fused")
        return ActiveSpeaker(None, audio_bearing_deg, "audio")
    if nearest_track is not None and nearest_track in face_bearings:
        return ActiveSpeaker(nearest_track, face_bearings[nearest_track], "camera")
    if face_bearings:
        track, bearing = next(iter(face_bearings.items()))
        return ActiveSpeaker(track, bearing, "camera")
    return ActiveSpeaker(None, None, "none")
