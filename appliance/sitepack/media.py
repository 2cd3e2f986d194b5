"""What a pack's media file is: a still image or a short video, and whether it reads.

Answers name media by path (``media/central-square-map.png``); the avatar shows a still
image on the answer card and plays a video there (:mod:`appliance.avatar.media`). A file
is a video by its suffix (:data:`VIDEO_SUFFIXES`), and it must decode with the OpenCV the
kiosk runs: ``opencv-python-headless`` (FFmpeg) reads MPEG-4 and H.264 in ``.mp4``, VP8
and VP9 in ``.webm``, and animated ``.gif``; JetPack's GStreamer OpenCV reads what its
GStreamer plugins decode. ``kiosk sitepack check`` opens each one, so a pack whose video
this kiosk cannot play fails the check, not the visitor.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".gif"})
"""File suffixes shown as a video (played on the answer card), not a still image."""
MAX_CLIP_S = 20.0
"""The avatar plays (and loops) at most this much of a video: answer media is short."""
MAX_CLIP_FRAMES = 600
"""...and at most this many frames of it (decoded once and kept in memory)."""


def is_video(path: str | Path) -> bool:
    """True when ``path`` names a video (by its suffix, any case)."""
    return Path(str(path)).suffix.lower() in VIDEO_SUFFIXES


@dataclass(frozen=True)
class VideoInfo:
    """What a readable video holds."""

    frames: int
    seconds: float
    width: int
    height: int


def _file_key(path: str | Path) -> tuple[str, int, int] | None:
    """(resolved path, mtime, size): the cache key that a replaced file changes; None
    when the file cannot be read."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    return str(p.resolve()), st.st_mtime_ns, st.st_size


def probe_video(path: str | Path) -> VideoInfo | None:
    """Open a video with OpenCV and read it through (at most :data:`MAX_CLIP_FRAMES` + 1
    frames): its frame count, length and size, or None when it cannot be read."""
    key = _file_key(path)
    return _probe(*key) if key is not None else None


@functools.lru_cache(maxsize=64)
def _probe(path: str, _mtime_ns: int, _size: int) -> VideoInfo | None:
    import cv2

    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            return None
        ok, frame = cap.read()
        if not ok or frame is None or frame.size == 0:
            return None
        height, width = frame.shape[:2]
        fps = cap.get(cv2.CAP_PROP_FPS)
        n, last_ms = 1, 0.0
        while n <= MAX_CLIP_FRAMES and cap.grab():
            n += 1
            last_ms = cap.get(cv2.CAP_PROP_POS_MSEC)
    except cv2.error:
        return None
    finally:
        cap.release()
    step = 1.0 / fps if 0.0 < fps < 1000.0 else 0.1
    seconds = last_ms / 1000.0 + step if last_ms > 0 else n * step
    return VideoInfo(n, seconds, width, height)


def image_readable(path: str | Path) -> bool:
    """True when OpenCV decodes ``path`` as an image (what the answer card shows)."""
    key = _file_key(path)
    return _image_readable(*key) if key is not None else False


@functools.lru_cache(maxsize=256)
def _image_readable(path: str, _mtime_ns: int, _size: int) -> bool:
    import cv2

    try:
        img = cv2.imread(path, cv2.IMREAD_REDUCED_COLOR_2)
    except cv2.error:
        return False
    return img is not None and img.size > 0
