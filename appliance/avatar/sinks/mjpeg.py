"""MJPEG over HTTP on localhost: the avatar stream the display session shows, and a preview.

``GET /`` (or ``/stream.mjpg``) streams ``multipart/x-mixed-replace`` JPEGs of the
latest frame; ``GET /frame.jpg`` returns one. Frames are JPEG-encoded on the
server thread, at most ``max_fps`` per second and downscaled to ``width``. Other
paths go to ``routes`` when set (the touch desk: :mod:`appliance.avatar.touch`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

import cv2
import numpy as np

from appliance.avatar.sinks.base import DisplayError, FrameSink

logger = logging.getLogger(__name__)
BOUNDARY = b"kioskframe"
MAX_BODY = 4096
"""Largest request body a route is given; a longer one is refused unread."""

HttpAnswer = tuple[int, str, bytes]
"""(status, content type, body) of a route's answer."""


class Routes(Protocol):
    """More paths on the stream's server; ``None`` from either means "not mine" (404)."""

    def get(self, path: str) -> HttpAnswer | None: ...

    def post(self, path: str, ctype: str, body: bytes) -> HttpAnswer | None: ...


class MjpegPreview(FrameSink):
    """Serves the latest frame; bind to ``127.0.0.1`` only (port 0 picks a free one)."""

    name = "mjpeg"

    def __init__(self, port: int = 0, host: str = "127.0.0.1", max_fps: float = 10.0,
                 width: int = 540, quality: int = 80) -> None:
        self.max_fps, self.width, self.quality = max_fps, width, quality
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._seq = 0
        self._encoded: tuple[int, bytes | None] = (-1, None)
        self.routes: Routes | None = None
        preview = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt: str, *args: object) -> None:
                logger.debug("mjpeg: " + fmt, *args)

            def do_GET(self) -> None:
                if self.path.startswith("/frame.jpg"):
                    jpg = preview.jpeg(timeout=2.0)
                    if jpg is None:
                        self.send_error(503, "no frame yet")
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(jpg)))
                    self.end_headers()
                    self.wfile.write(jpg)
                    return
                if self.path not in ("/", "/stream.mjpg"):
                    routes = preview.routes
                    self.answer(routes.get(self.path) if routes is not None else None)
                    return
                self.send_response(200)
                self.send_header("Content-Type",
                                 "multipart/x-mixed-replace; boundary=" + BOUNDARY.decode())
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    preview.stream(self.wfile)

            def do_POST(self) -> None:
                routes = preview.routes
                try:
                    length = int(self.headers.get("Content-Length", "0"))
                except ValueError:
                    length = -1
                if routes is None:
                    self.answer(None)
                elif not 0 <= length <= MAX_BODY:
                    self.send_error(413 if length > MAX_BODY else 411)
                else:
                    self.answer(routes.post(self.path, self.headers.get("Content-Type", ""),
                                            self.rfile.read(length)))

            def answer(self, got: HttpAnswer | None) -> None:
                if got is None:
                    self.send_error(404)
                    return
                status, ctype, body = got
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise DisplayError(f"MJPEG preview cannot listen on {host}:{port}: {exc}") from exc
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}/"
        self._closed = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="mjpeg",
                                        daemon=True)
        self._thread.start()
        logger.info("MJPEG preview on %s", self.url)

    def write(self, frame: np.ndarray, t: float) -> None:
        with self._cond:
            self._frame = frame.copy()
            self._seq += 1
            self._cond.notify_all()

    def jpeg(self, timeout: float = 0.0, after: int = -1) -> bytes | None:
        """The latest frame (newer than sequence ``after``) as JPEG bytes."""
        return self._latest(timeout, after)[1]

    def _latest(self, timeout: float, after: int) -> tuple[int, bytes | None]:
        """(sequence, JPEG) of the latest frame; encoded once, whatever the client count."""
        with self._cond:
            self._cond.wait_for(lambda: (self._frame is not None and self._seq > after)
                                or self._closed, timeout)
            frame, seq = self._frame, self._seq
            if self._encoded[0] == seq:
                return self._encoded
        if frame is None:
            return seq, None
        h, w = frame.shape[:2]
        if w > self.width:
            frame = cv2.resize(frame, (self.width, round(h * self.width / w)),
                               interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        encoded = (seq, buf.tobytes() if ok else None)
        with self._cond:
            if seq >= self._encoded[0]:
                self._encoded = encoded
        return encoded

    def stream(self, out: object) -> None:
        seq = -1
        while not self._closed:
            started = time.monotonic()
            seq, jpg = self._latest(1.0, seq)
            if jpg is not None:
                head = b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                out.write(head + str(len(jpg)).encode() + b"\r\n\r\n" + jpg + b"\r\n")  # type: ignore[attr-defined]
            time.sleep(max(0.0, 1.0 / self.max_fps - (time.monotonic() - started)))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
