"""``kiosk display``: the screen of the kiosk, a thin fullscreen viewer of the avatar stream.

The orchestrator (``kiosk run``, hardened, no display rights) renders the avatar and
publishes it as MJPEG on ``http://127.0.0.1:<avatar.mjpeg_port>/stream.mjpg``; the
display session (``cage -- kiosk display``) only decodes and shows it. While the
stream is not there (the orchestrator loading models or restarting) the screen says
"Starting..."; after ``out_of_service_after_s`` without it, the out-of-service screen.

:class:`MjpegReader` (a thread: connect, parse ``multipart/x-mixed-replace``, decode,
reconnect) and :class:`Viewer` (frames or the waiting screens into any
:class:`FrameSink`) are separate so tests run them without a display. When the
stream's server has a touch desk, the viewer draws the touch panel under the avatar
and the SDL window's touches go to it (:mod:`appliance.avatar.touch.screen`).
"""

from __future__ import annotations

import argparse
import http.client
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np

from appliance.avatar.screens import DEFAULT_LINES, out_of_service_screen, starting_screen
from appliance.avatar.sinks.base import DisplayError, FrameSink
from appliance.avatar.sinks.choose import display_problem, open_window
from appliance.avatar.sinks.sdl import SdlWindowSink
from appliance.avatar.touch.client import TouchClient
from appliance.avatar.touch.screen import TouchScreen
from appliance.errors import KioskError
from appliance.settings import load
from appliance.sitepack.screens import ScreenLines

logger = logging.getLogger(__name__)


def stream_url(port: int, host: str = "127.0.0.1") -> str:
    """The orchestrator's avatar stream on this machine."""
    return f"http://{host}:{port}/stream.mjpg"


class StreamEnded(OSError):
    """The server closed the stream or sent something that is not MJPEG."""


class MjpegReader:
    """Keeps the latest frame of an MJPEG stream; reconnects every ``retry_s`` when down."""

    def __init__(self, url: str, timeout_s: float = 5.0, retry_s: float = 1.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise KioskError(f"stream URL must look like http://127.0.0.1:8090/stream.mjpg, "
                             f"got {url!r}", code="bad-input")
        self.url = url
        self._host, self._port = parts.hostname, parts.port or 80
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout_s, self.retry_s = timeout_s, retry_s
        self.connected = False
        self.connects = 0
        self.frames = 0
        self._frame: np.ndarray | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mjpeg-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 1)

    def wait_frame(self, after: int, timeout: float) -> tuple[int, np.ndarray | None]:
        """(count, frame) once a frame newer than ``after`` arrived, else the latest one."""
        with self._cond:
            self._cond.wait_for(lambda: self.frames > after or self._stop.is_set(), timeout)
            return self.frames, self._frame

    def _run(self) -> None:
        problem = ""
        while not self._stop.is_set():
            try:
                self._read_stream()
                why = "the stream ended"
            except (OSError, http.client.HTTPException) as exc:
                why = str(exc) or type(exc).__name__
            if self._stop.is_set():
                break
            if self.connected:
                logger.warning("avatar stream lost (%s); reconnecting to %s", why, self.url)
            elif why != problem:
                logger.info("waiting for the avatar stream at %s (%s)", self.url, why)
            self.connected, problem = False, why
            self._stop.wait(self.retry_s)

    def _read_stream(self) -> None:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout_s)
        try:
            conn.request("GET", self._path)
            resp = conn.getresponse()
            ctype = resp.getheader("Content-Type", "")
            if resp.status != 200 or "multipart/" not in ctype:
                raise StreamEnded(f"HTTP {resp.status} {ctype or 'no content type'}")
            boundary = b"--" + ctype.split("boundary=", 1)[-1].strip().strip('"').encode()
            while not self._stop.is_set():
                jpg = self._next_part(resp, boundary)
                image = cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)
                if image is None:
                    logger.debug("undecodable part of %d bytes skipped", len(jpg))
                    continue
                if not self.connected:
                    self.connected = True
                    self.connects += 1
                    logger.info("showing the avatar stream %s (%dx%d)", self.url,
                                image.shape[1], image.shape[0])
                with self._cond:
                    self._frame = image
                    self.frames += 1
                    self._cond.notify_all()
        finally:
            conn.close()

    @staticmethod
    def _next_part(resp: http.client.HTTPResponse, boundary: bytes) -> bytes:
        line = resp.readline()
        while line.rstrip(b"\r\n") != boundary:
            if not line:
                raise StreamEnded("the stream ended")
            line = resp.readline()
        length = -1
        while (line := resp.readline()) not in (b"\r\n", b"\n"):
            if not line:
                raise StreamEnded("the stream ended in a part's headers")
            key, _, value = line.decode("latin-1").partition(":")
            if key.strip().lower() == "content-length":
                length = int(value.strip())
        if length < 0:
            raise StreamEnded("a stream part without Content-Length")
        data = resp.read(length)
        if len(data) != length:
            raise StreamEnded("the stream ended inside a frame")
        return data


class Viewer:
    """Shows the reader's frames on ``sink``; the waiting screens while there are none."""

    def __init__(self, reader: MjpegReader, sink: FrameSink, size: tuple[int, int],
                 stale_s: float = 2.0, out_of_service_after_s: float = 120.0,
                 clock: Callable[[], float] = time.monotonic,
                 lines: ScreenLines = DEFAULT_LINES, touch: TouchScreen | None = None) -> None:
        self.reader, self.sink, self.size = reader, sink, size
        self.touch = touch
        """The touch panel under the stream (None: the avatar only)."""
        self.lines = lines
        """The waiting screens' lines (the site pack's languages, :func:`site_screen_lines`)."""
        self.stale_s, self.out_of_service_after_s = stale_s, out_of_service_after_s
        self.clock = clock
        self.showing = "starting"
        """``stream``, ``starting`` or ``out_of_service``: what is on the screen now."""
        self.shown = {"stream": 0, "starting": 0, "out_of_service": 0}
        self._screens: dict[tuple[str, tuple[int, int]], np.ndarray] = {}

    def _screen(self, kind: str) -> np.ndarray:
        key = (kind, self.size)
        if key not in self._screens:
            w, h = self.size
            self._screens[key] = (out_of_service_screen(w, h, "orchestrator-down", self.lines)
                                  if kind == "out_of_service" else
                                  starting_screen(w, h, self.lines))
        return self._screens[key]

    def run(self, duration: float | None = None, stop: threading.Event | None = None) -> None:
        """Show until ``duration`` passes, ``stop`` is set, or the window is closed (Esc)."""
        start = self.clock()
        last_seq, last_frame_at, down_since = 0, -1e9, start
        frame: np.ndarray | None = None
        connects = 0
        while not (stop is not None and stop.is_set()):
            now = self.clock()
            if duration is not None and now - start >= duration:
                break
            seq, latest = self.reader.wait_frame(last_seq, timeout=0.1)
            now = self.clock()
            if seq > last_seq and latest is not None:
                last_seq, frame, last_frame_at = seq, latest, now
                self.size = (latest.shape[1], latest.shape[0])
            if now - last_frame_at <= self.stale_s and frame is not None:
                kind, image = "stream", frame
                down_since = now
            else:
                waited = now - down_since
                kind = "out_of_service" if waited >= self.out_of_service_after_s else "starting"
                image = self._screen(kind)
            if kind != self.showing:
                logger.info("screen: %s", kind.replace("_", " "))
                self.showing = kind
            if self.touch is not None:
                if self.reader.connects != connects:  # a (new) server: has it a desk?
                    connects = self.reader.connects
                    self.touch.connected()
                if kind == "stream":
                    image = self.touch.compose(image)
                else:
                    self.touch.hide()
            self.sink.write(image, now)  # also keeps the window's event loop alive
            self.shown[kind] += 1
            if getattr(self.sink, "closed", False):
                logger.info("the kiosk window was closed")
                break



def site_screen_lines(configured: str = "") -> ScreenLines:
    """The site pack's screen lines, read from its manifest only (the display unit loads
    no models); English when the pack cannot be read, so the screen is never blank."""
    from appliance.sitepack import default_sitepack_dir
    from appliance.sitepack.loader import read_manifest

    root = default_sitepack_dir(configured)
    try:
        manifest = read_manifest(root)
    except OSError as exc:  # the display user may not be allowed to read the pack
        logger.warning("site pack %s unreadable (%s): waiting screens in English", root, exc)
        return DEFAULT_LINES
    if manifest is None:
        logger.warning("site pack %s has manifest errors: waiting screens in English", root)
        return DEFAULT_LINES
    return manifest.screen_lines()


def run_display(args: argparse.Namespace) -> int:
    """``kiosk display``: show the orchestrator's avatar stream full screen until closed."""
    # a bad --url or no display is said in one line, before any config is read
    reader = MjpegReader(args.url) if args.url else None
    problem = display_problem()
    if problem is not None:
        raise DisplayError(f"cannot show the kiosk screen: {problem}")
    settings, _warnings = load(Path(args.config) if args.config else None)  # logged there
    avatar = settings.avatar
    if reader is None:
        if not avatar.mjpeg_port:
            raise KioskError("the avatar stream is off (avatar.mjpeg_port = 0 in kiosk.toml): "
                             "set a port, or pass --url", code="bad-input")
        reader = MjpegReader(stream_url(avatar.mjpeg_port))
    size = (avatar.width, avatar.height)
    sink = open_window("kiosk", fullscreen=not args.windowed,
                       size=(size[0] // 2, size[1] // 2))
    touch = None
    if isinstance(sink, SdlWindowSink) and not getattr(args, "no_touch", False):
        touch = TouchScreen(TouchClient(reader.url))
        sink.on_press = touch.press
    reader.start()
    try:
        Viewer(reader, sink, size, lines=site_screen_lines(settings.nlu.sitepack),
               touch=touch).run(args.duration)
    finally:
        reader.stop()
        sink.close()
    return 0
