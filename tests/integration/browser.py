"""A headless Chromium driven over the DevTools protocol: real mouse and key events.

Debian's ``chromium-headless-shell`` (``make setup`` installs it) and the ``websockets``
client; no browser download, no framework. Synchronous: call it from a thread when an
asyncio loop must keep running (the kiosk's).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from typing import Any

from websockets.sync.client import ClientConnection, connect

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def find_browser() -> str | None:
    return next((p for b in BROWSERS if (p := shutil.which(b))), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """One headless page; ``with Browser() as page: page.open(url)``."""

    def __init__(self, executable: str | None = None) -> None:
        exe = executable or find_browser()
        if exe is None:
            raise RuntimeError("no Chromium installed (apt install chromium-headless-shell)")
        self._profile = tempfile.TemporaryDirectory(prefix="kiosk-chromium-")
        port = _free_port()
        self._proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--remote-debugging-port={port}", f"--user-data-dir={self._profile.name}",
             "--window-size=720,1280", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # its own group: Debian's wrapper script forks the browser
        self._ws = connect(self._page_socket(port), max_size=None)
        self._ids = itertools.count(1)

    def _page_socket(self, port: int, timeout: float = 20.0) -> str:
        """The page's DevTools socket, once Chromium answers on ``port``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                            timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except OSError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One protocol command; its result (events in between are skipped)."""
        ws: ClientConnection = self._ws
        call = next(self._ids)
        ws.send(json.dumps({"id": call, "method": method, "params": params}))
        while True:
            msg = json.loads(ws.recv(timeout=30))
            if msg.get("id") == call:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))

    def eval(self, expression: str) -> Any:
        got = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                        awaitPromise=True)
        return got.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        """The expression's value once truthy (polled), else TimeoutError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"never true: {expression}")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def click(self, selector: str) -> None:
        """A real mouse press and release at the middle of the element."""
        box = self.wait_for(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                            " if (!e) return null; e.scrollIntoView({block: 'center'});"
                            " const r = e.getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def click_at(self, x: float, y: float) -> None:
        """A real mouse press and release at viewport point (x, y)."""
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)

    def type(self, text: str) -> None:
        """Key events, one character at a time, into the focused element."""
        for ch in text:
            self.send("Input.dispatchKeyEvent", type="keyDown", text=ch, key=ch)
            self.send("Input.dispatchKeyEvent", type="keyUp", key=ch)

    def close(self) -> None:
        self._ws.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGTERM)  # the group this browser started
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
