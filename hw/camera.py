"""Cameras: OpenCV V4L2/USB, Jetson CSI through GStreamer, and a sim camera.

Frames are BGR uint8 arrays handed to the vision engine and dropped; nothing
here ever writes or sends an image. Capture blocks, so it runs on its own
thread and enters the asyncio loop with ``call_soon_threadsafe`` into a
queue of one frame (the newest wins: vision wants the present, not a backlog).
A camera that fails to open or stops delivering sets its health to FAILED
(``camera-open-failed`` / ``camera-lost``) and ``frames()`` simply ends.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hw.health import DeviceHealth

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


@dataclass
class CameraFrame:
    """One image (BGR uint8) and the monotonic time it was captured."""

    image: np.ndarray
    captured_at: float
    index: int


class CameraError(RuntimeError):
    code = "camera-open-failed"


def csi_pipeline(sensor_id: int = 0, width: int = 1280, height: int = 720, fps: int = 30,
                 flip_method: int = 0) -> str:
    """GStreamer pipeline for a Jetson CSI camera (``nvarguscamerasrc``) into OpenCV BGR."""
    return (f"nvarguscamerasrc sensor-id={sensor_id} ! "
            f"video/x-raw(memory:NVMM), width={width}, height={height}, "
            f"format=NV12, framerate={fps}/1 ! "
            f"nvvidconv flip-method={flip_method} ! video/x-raw, format=BGRx ! "
            f"videoconvert ! video/x-raw, format=BGR ! appsink drop=true max-buffers=1")


def describe_source(source: str, width: int = 1280, height: int = 720, fps: int = 30,
                    flip_method: int = 0) -> tuple[str | int, str]:
    """Turn a settings string into an OpenCV source and backend name.

    ``"0"`` or ``"/dev/video0"`` -> V4L2; ``"csi://0"`` -> an nvarguscamerasrc
    pipeline; anything with ``!`` -> that GStreamer pipeline; another path
    (a video file) -> FFmpeg.
    """
    text = source.strip()
    if text.isdigit():
        return int(text), "v4l2"
    if text.startswith("csi://"):
        return csi_pipeline(int(text[6:] or 0), width, height, fps, flip_method), "gstreamer"
    if "!" in text:
        return text, "gstreamer"
    if text.startswith("/dev/video"):
        return text, "v4l2"
    return text, "file"


class Camera(ABC):
    """A source of BGR frames."""

    name = "camera"

    def __init__(self) -> None:
        self.health = DeviceHealth("camera")

    @abstractmethod
    def frames(self) -> AsyncIterator[CameraFrame]:
        """Yield frames until closed, the source ends or the device is lost."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release the device."""


class OpenCVCamera(Camera):
    """``cv2.VideoCapture`` on a thread: V4L2 by index/path, GStreamer, or a file."""

    def __init__(self, source: str = "0", *, width: int = 1280, height: int = 720,
                 fps: int = 30, flip_method: int = 0, lost_after_s: float = 3.0) -> None:
        super().__init__()
        self.source, self.backend = describe_source(source, width, height, fps, flip_method)
        self.name = f"{self.backend}:{source}"
        self.width, self.height, self.fps = width, height, fps
        self.lost_after_s = lost_after_s
        self._capture: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        """Open the device; raises :class:`CameraError` (and sets health) on failure."""
        import cv2

        api = {"v4l2": cv2.CAP_V4L2, "gstreamer": cv2.CAP_GSTREAMER}.get(self.backend,
                                                                        cv2.CAP_ANY)
        capture = cv2.VideoCapture(self.source, api)
        if not capture.isOpened():
            capture.release()
            message = f"cannot open camera {self.name}"
            self.health.fail(CameraError.code, message)
            raise CameraError(message)
        if self.backend == "v4l2":
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            capture.set(cv2.CAP_PROP_FPS, self.fps)
        self._capture = capture
        self.health.ok()

    def _reader(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
        index = 0
        last_ok = time.monotonic()
        while not self._stop.is_set():
            ok, image = self._capture.read()
            if not ok:
                if self.backend == "file" or time.monotonic() - last_ok > self.lost_after_s:
                    break
                time.sleep(0.05)
                continue
            last_ok = time.monotonic()
            self._deliver(loop, queue, CameraFrame(image, last_ok, index))
            index += 1
        self._deliver(loop, queue, None)

    def _deliver(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any],
                 item: CameraFrame | None) -> None:
        """Live cameras: newest frame wins. Files: wait for the consumer (no time to keep)."""
        if self.backend != "file":
            loop.call_soon_threadsafe(_offer_latest, queue, item)
            return
        future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        while not self._stop.is_set():
            try:
                future.result(timeout=0.2)
                return
            except concurrent.futures.TimeoutError:  # not the builtin on 3.10
                continue
        future.cancel()

    async def frames(self) -> AsyncIterator[CameraFrame]:
        if self._capture is None:
            try:
                self.open()
            except CameraError as exc:
                logger.error("%s", exc)
                return
        queue: asyncio.Queue[CameraFrame | None] = asyncio.Queue(1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._reader, name="camera",
                                        args=(asyncio.get_running_loop(), queue), daemon=True)
        self._thread.start()
        while True:
            frame = await queue.get()
            if frame is None:
                if not self._stop.is_set() and self.backend != "file":
                    self.health.fail("camera-lost", f"{self.name} stopped delivering frames")
                return
            yield frame

    async def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 2.0)
            self._thread = None
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def _offer_latest(queue: asyncio.Queue[Any], item: Any) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


class SimCamera(Camera):
    """Plays a video file, a folder of images or a list of arrays as a camera.

    With ``realtime`` frames come at ``fps``; ``loop`` repeats the sequence.
    """

    name = "sim-camera"

    def __init__(self, source: str | Path | Sequence[np.ndarray], *, fps: float = 10.0,
                 realtime: bool = True, loop: bool = False) -> None:
        super().__init__()
        self.fps = fps
        self.realtime = realtime
        self.loop = loop
        self._closed = False
        self._images: list[np.ndarray] | None = None
        self._video: Path | None = None
        if isinstance(source, (str, Path)):
            path = Path(source)
            if path.is_dir():
                self._images = [_read_image(p) for p in sorted(path.iterdir())
                                if p.suffix.lower() in IMAGE_SUFFIXES]
            elif path.exists():
                self._video = path
            else:
                self.health.fail(CameraError.code, f"{path}: no such video or folder")
                return
        else:
            self._images = [np.asarray(img) for img in source]
        self.health.ok()

    def _sequence(self) -> list[np.ndarray]:
        if self._images is not None:
            return self._images
        import cv2

        capture = cv2.VideoCapture(str(self._video))
        images = []
        while True:
            ok, image = capture.read()
            if not ok:
                break
            images.append(image)
        capture.release()
        if not images:
            self.health.fail(CameraError.code, f"{self._video}: no frames could be decoded")
        return images

    async def frames(self) -> AsyncIterator[CameraFrame]:
        if self.health.state.value == "failed":
            return
        images = self._sequence()
        start = time.monotonic()
        index = 0
        while images and not self._closed:
            image = images[index % len(images)]
            if self.realtime:
                await asyncio.sleep(max(0.0, start + index / self.fps - time.monotonic()))
            else:
                await asyncio.sleep(0)
            yield CameraFrame(image, time.monotonic(), index)
            index += 1
            if index >= len(images) and not self.loop:
                return

    async def close(self) -> None:
        self._closed = True


def _read_image(path: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise CameraError(f"{path}: not an image")
    return np.asarray(image)
