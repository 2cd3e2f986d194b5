"""Short videos on the answer card: decoded once, played on the scene's clock.

A pack's media entry that is a video (:func:`appliance.sitepack.media.is_video`: ``.mp4``,
``.webm``, ``.gif``...) plays in the answer card beside the avatar, scaled into the card
like an image. :func:`load_clip` decodes it with OpenCV once (frames no larger than the
card, at most :data:`~appliance.sitepack.media.MAX_CLIP_S` s /
:data:`~appliance.sitepack.media.MAX_CLIP_FRAMES` frames and :data:`CLIP_BYTES` of
pixels) and keeps the last few clips, so asking the same question again costs nothing;
the live avatar decodes the pack's videos in the background when it starts
(:func:`preload`), so the first visitor who asks does not wait either. Each frame keeps
its own presentation time, so a GIF with uneven frame times plays as it should.

**Timing**: the frame shown at scene time ``t`` is the one whose presentation time is the
latest at or before ``t - shown`` (``shown``: the time the card appeared), so the clip is
frame-accurate on the scene's clock, in the live renderer and in a rendered video alike.
**Looping**: a clip loops for as long as its card is shown (an instruction such as "tap
your card here" reads best seen again while the visitor listens); it stops with the card.

:class:`ClipPlayer` is one showing of a clip: it owns the framed card buffer and writes a
new frame into it only when the frame changes; frames scaled to the card are cached per
clip (up to :data:`SCALED_CACHE_BYTES`), so a frame costs one copy, not a resize.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from appliance.sitepack.media import MAX_CLIP_FRAMES, MAX_CLIP_S

logger = logging.getLogger(__name__)

DEFAULT_FPS = 10.0
"""Frame rate assumed when a file tells none (or nonsense)."""
CLIP_BYTES = 48 * 1024 * 1024
"""A decoded clip's frames take at most this much memory: a long or large video is kept
at a lower resolution (and scaled up to the card when shown)."""
SCALED_CACHE_BYTES = 24 * 1024 * 1024
"""Frames scaled to the card are kept up to this many bytes per clip (a small clip's all
of them); a frame past it is scaled when it comes up (well under a millisecond)."""
CLIP_CACHE = 3
"""Decoded clips kept (the most recently shown or preloaded)."""


class Clip:
    """A decoded video: frames (BGR) and each frame's start, in seconds from the first."""

    def __init__(self, frames: list[np.ndarray], starts: list[float], length: float,
                 path: str = "") -> None:
        if not frames or len(frames) != len(starts):
            raise ValueError("a clip needs one start per frame and at least one frame")
        self.frames = frames
        self.starts = starts
        self.length = length
        """Seconds of one loop (the last frame shows for its own duration)."""
        self.path = path
        self._scaled: dict[tuple[int, int, int], np.ndarray] = {}
        self._scaled_bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        """Width and height of the frames."""
        h, w = self.frames[0].shape[:2]
        return w, h

    def index_at(self, local: float) -> int:
        """The frame shown ``local`` seconds after the clip started (looping)."""
        if local <= 0.0 or len(self.frames) == 1:
            return 0
        pos = math.fmod(local, self.length)
        return max(0, bisect.bisect_right(self.starts, pos + 1e-9) - 1)

    def scaled(self, index: int, size: tuple[int, int]) -> np.ndarray:
        """Frame ``index`` at ``size`` (w, h), from the cache when it is there."""
        key = (index, size[0], size[1])
        img = self._scaled.get(key)
        if img is not None:
            return img
        src = self.frames[index]
        if (src.shape[1], src.shape[0]) == size:
            return src
        shrink = size[0] < src.shape[1]
        img = cv2.resize(src, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        with self._lock:
            if self._scaled_bytes + img.nbytes <= SCALED_CACHE_BYTES:
                self._scaled[key] = img
                self._scaled_bytes += img.nbytes
        return img


def _bgr(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame


def decode_clip(path: str | Path, max_size: tuple[int, int] | None = None) -> Clip | None:
    """Decode a video with OpenCV (frames shrunk to fit ``max_size``, w x h); None when it
    cannot be read (a warning says why). Never raises for a bad file."""
    p = str(path)
    if not Path(p).is_file():
        logger.warning("answer video %s does not exist; not shown", p)
        return None
    frames: list[np.ndarray] = []
    stamps: list[float] = []
    cap = cv2.VideoCapture(p)
    try:
        if not cap.isOpened():
            logger.warning("answer video %s cannot be opened; not shown", p)
            return None
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        expected = int(count) if 0 < count < MAX_CLIP_FRAMES else MAX_CLIP_FRAMES
        if 0.0 < fps < 1000.0:
            expected = min(expected, math.ceil(MAX_CLIP_S * fps) + 1)
        per_frame = CLIP_BYTES / max(1, expected)  # pixels a frame may keep (x3 bytes)
        while len(frames) < MAX_CLIP_FRAMES:
            ok, frame = cap.read()
            if not ok or frame is None or frame.size == 0:
                break
            stamps.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
            frame = _bgr(frame)
            if not frames:
                k = math.sqrt(per_frame / frame.nbytes)
                if max_size is not None:
                    k = min(k, max_size[0] / frame.shape[1], max_size[1] / frame.shape[0])
                if k < 1.0:
                    frame = cv2.resize(frame, (max(1, int(frame.shape[1] * k)),
                                               max(1, int(frame.shape[0] * k))),
                                       interpolation=cv2.INTER_AREA)
            elif frame.shape != frames[0].shape:
                frame = cv2.resize(frame, (frames[0].shape[1], frames[0].shape[0]),
                                   interpolation=cv2.INTER_AREA)
            frames.append(np.ascontiguousarray(frame))
            if stamps[-1] - stamps[0] >= MAX_CLIP_S or \
                    len(frames) * frames[0].nbytes >= CLIP_BYTES:
                break
    except cv2.error as exc:
        logger.warning("answer video %s cannot be decoded (%s); not shown", p, exc)
        return None
    finally:
        cap.release()
    if not frames:
        logger.warning("answer video %s has no frame OpenCV can decode; not shown", p)
        return None
    step = 1.0 / fps if 0.0 < fps < 1000.0 else 1.0 / DEFAULT_FPS
    starts = [s - stamps[0] for s in stamps]
    if any(not math.isfinite(s) for s in starts) or any(
            b <= a for a, b in itertools.pairwise(starts)):
        starts = [i * step for i in range(len(frames))]  # no usable timestamps: the rate
    last = starts[-1] - starts[-2] if len(starts) > 1 else step
    return Clip(frames, starts, starts[-1] + max(last, 1e-3), p)


_CACHE: OrderedDict[tuple[str, int, int, tuple[int, int] | None], Clip | None] = OrderedDict()
_LOADING: dict[tuple[str, int, int, tuple[int, int] | None], threading.Lock] = {}
_CACHE_LOCK = threading.Lock()


def load_clip(path: str | Path, max_size: tuple[int, int] | None = None) -> Clip | None:
    """:func:`decode_clip`, cached by file (path, size, modification time) and ``max_size``:
    the :data:`CLIP_CACHE` clips used last are not decoded again (and a clip being decoded
    by another thread, :func:`preload`, is waited for, not decoded twice)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        logger.warning("answer video %s does not exist; not shown", p)
        return None
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size, max_size)

    def cached() -> tuple[bool, Clip | None]:
        with _CACHE_LOCK:
            if key not in _CACHE:
                return False, None
            _CACHE.move_to_end(key)
            clip = _CACHE[key]
        if clip is None:
            logger.warning("answer video %s cannot be read; not shown", p)
        return True, clip

    hit, clip = cached()
    if hit:
        return clip
    with _CACHE_LOCK:
        loading = _LOADING.setdefault(key, threading.Lock())
    with loading:
        hit, clip = cached()  # another thread decoded it while this one waited
        if hit:
            return clip
        clip = decode_clip(p, max_size)
        with _CACHE_LOCK:
            _CACHE[key] = clip
            while len(_CACHE) > CLIP_CACHE:
                _CACHE.popitem(last=False)
            _LOADING.pop(key, None)
    return clip


def preload(paths: Sequence[str | Path], max_size: tuple[int, int]) -> threading.Thread | None:
    """Decode these videos for a card of ``max_size`` in a background thread (the live
    avatar's pack videos, when it starts), so showing one costs a cache look-up."""
    todo = [str(p) for p in paths][:CLIP_CACHE]
    if not todo:
        return None

    def run() -> None:
        for p in todo:
            try:
                load_clip(p, max_size)
            except Exception:  # a bad file must not take anything down
                logger.exception("answer video %s: preload failed", p)

    thread = threading.Thread(target=run, name="avatar-media-preload", daemon=True)
    thread.start()
    return thread


class ClipPlayer:
    """One showing of a :class:`Clip` on the answer card.

    ``frame_card`` builds the framed card for an image of the clip's size and says where it
    goes (the scene's own framing, so a video card looks like an image card);
    :meth:`card_at` returns that card with the frame for scene time ``t`` in it.
    """

    def __init__(self, clip: Clip,
                 frame_card: Callable[[np.ndarray], tuple[np.ndarray, int, int]],
                 border: int, shown_at: float | None = None) -> None:
        self.clip = clip
        card, self.x, self.y = frame_card(clip.frames[0])
        self.card = card.copy()
        self.border = border
        self.inner = (card.shape[1] - 2 * border, card.shape[0] - 2 * border)
        self.shown_at = shown_at
        """Scene time the card appeared (None: the first frame rendered with it)."""
        self._index = -1

    def card_at(self, t: float) -> np.ndarray:
        """The framed card at scene time ``t`` (the same buffer, updated in place)."""
        if self.shown_at is None:
            self.shown_at = t
        index = self.clip.index_at(t - self.shown_at)
        if index != self._index:
            b = self.border
            w, h = self.inner
            self.card[b : b + h, b : b + w] = self.clip.scaled(index, self.inner)
            self._index = index
        return self.card
