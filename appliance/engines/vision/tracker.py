"""Faces followed across frames by box overlap (IoU), with how long each stayed."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.engines.vision.base import Face


def iou(a: Face, b: Face) -> float:
    """Intersection over union of two boxes."""
    x1, y1 = max(a.x, b.x), max(a.y, b.y)
    x2, y2 = min(a.x + a.w, b.x + b.w), min(a.y + a.h, b.y + b.h)
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union else 0.0


@dataclass
class Track:
    """One face followed over time (times are monotonic seconds)."""

    id: int
    face: Face
    first_seen: float
    last_seen: float
    hits: int = 1
    facing_since: float | None = None
    """Since when the face has been frontal without a break (None = not facing)."""

    def dwell(self, now: float) -> float:
        return now - self.first_seen

    def facing_for(self, now: float) -> float:
        return 0.0 if self.facing_since is None else now - self.facing_since


class FaceTracker:
    """Greedy IoU association; a track survives ``max_age_s`` without a match.

    A track counts as *confirmed* after ``min_hits`` detections, so a single
    false detection never announces a visitor.
    """

    def __init__(self, *, iou_threshold: float = 0.3, max_age_s: float = 1.0,
                 min_hits: int = 2) -> None:
        self.iou_threshold = iou_threshold
        self.max_age_s = max_age_s
        self.min_hits = min_hits
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(self, faces: list[Face], now: float) -> list[Track]:
        """Match this frame's faces; returns the confirmed, live tracks."""
        pairs = sorted(((iou(t.face, f), ti, fi) for ti, t in enumerate(self.tracks)
                        for fi, f in enumerate(faces)), reverse=True)
        used_t: set[int] = set()
        used_f: set[int] = set()
        for overlap, ti, fi in pairs:
            if overlap < self.iou_threshold or ti in used_t or fi in used_f:
                continue
            used_t.add(ti)
            used_f.add(fi)
            track, face = self.tracks[ti], faces[fi]
            track.face, track.last_seen, track.hits = face, now, track.hits + 1
            if face.frontal:
                track.facing_since = track.facing_since if track.facing_since is not None else now
            else:
                track.facing_since = None
        for fi, face in enumerate(faces):
            if fi not in used_f:
                self.tracks.append(Track(self._next_id, face, now, now,
                                         facing_since=now if face.frontal else None))
                self._next_id += 1
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.max_age_s]
        return self.confirmed()

    def confirmed(self) -> list[Track]:
        return [t for t in self.tracks if t.hits >= self.min_hits]

    def reset(self) -> None:
        self.tracks = []
