"""``kiosk display``'s side of the touch desk: HTTP to the server it streams from.

The display session is another process (another user) than ``kiosk run``; it reaches
the desk (:mod:`appliance.avatar.touch.desk`) the way the browser page does, on the
stream's own address: ``GET /touch/suggestions``, ``POST /touch/ask``, the station plan
(``GET /touch/plan.png``, ``POST /touch/plan``) and ``GET /touch/reply``.
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import cv2
import numpy as np

from appliance.sitepack.model import Suggestion

logger = logging.getLogger(__name__)

CANNOT_ASK = "The kiosk cannot take questions right now."


class NoDesk(Exception):
    """The server streams the avatar but has no touch desk (a ``kiosk run`` before it)."""


@dataclass(frozen=True)
class Desk:
    """What the desk offers: its suggested questions and the longest question."""

    suggestions: list[Suggestion]
    max_chars: int
    plan: bool = False
    """The desk serves a station plan to touch."""


@dataclass(frozen=True)
class Posted:
    """What the desk made of a question or a touch on the plan: the ``turn`` it asked
    (None: nothing asked), the ``question`` asked, and the one ``line`` the screen shows
    instead when nothing was asked (a refusal, or the plan's hint)."""

    turn: int | None
    question: str = ""
    line: str = ""


@dataclass(frozen=True)
class Answered:
    """The reply to a question from the screen, and its language (for the font)."""

    text: str
    language: str = "en"


class TouchClient:
    """Talks to the desk next to the stream at ``stream_url`` (same host and port)."""

    def __init__(self, stream_url: str, timeout_s: float = 6.0) -> None:
        parts = urlsplit(stream_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout_s = timeout_s  # above the desk's own 5 s hand-over to the loop

    def _raw(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, object]:
        status, data = self._raw(method, path, body)
        try:
            return status, json.loads(data.decode("utf-8")) if data else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return status, None  # 404's HTML page, for one

    def desk(self) -> Desk:
        """The desk's offer; :class:`NoDesk` on a 404, ``OSError`` when unreachable."""
        try:
            status, data = self._request("GET", "/touch/suggestions")
        except http.client.HTTPException as exc:
            raise OSError(str(exc)) from exc
        if status == 404:
            raise NoDesk("no /touch/suggestions on this server")
        if status != 200 or not isinstance(data, dict):
            raise OSError(f"/touch/suggestions answered HTTP {status}")
        shown = []
        for item in data.get("suggestions") or []:
            if isinstance(item, dict) and isinstance(item.get("label"), str) \
                    and isinstance(item.get("question"), str):
                shown.append(Suggestion(item["label"], item["question"]))
        max_chars = data.get("max_chars")
        return Desk(shown, max_chars if isinstance(max_chars, int) and max_chars > 0 else 500,
                    plan=bool(data.get("plan")))

    def ask(self, text: str, source: str, sign: bool = False) -> str | None:
        """Post a question; None when taken, else the one line the screen shows."""
        posted = self.post(text, source, sign)
        return None if posted.turn is not None else posted.line

    def post(self, text: str, source: str, sign: bool = False) -> Posted:
        """Post a question: its turn when taken, else the line the screen shows."""
        return self._post("/touch/ask", {"text": text, "source": source, "sign": sign}, text)

    def touch_plan(self, x: float, y: float, size: tuple[int, int],
                   sign: bool = False) -> Posted:
        """A touch at pixel (x, y) of the plan drawn at ``size``: the place's question
        asked (its turn), or the desk's hint when no place is there."""
        return self._post("/touch/plan", {"x": x, "y": y, "w": size[0], "h": size[1],
                                          "sign": sign}, "")

    def _post(self, path: str, request: dict[str, Any], text: str) -> Posted:
        try:
            status, data = self._request("POST", path, json.dumps(request).encode())
        except (OSError, http.client.HTTPException) as exc:
            logger.warning("touch: cannot post the question (%s)", exc)
            return Posted(None, line=CANNOT_ASK)
        answer = data if isinstance(data, dict) else {}
        turn, question = answer.get("turn"), answer.get("question")
        question = question if isinstance(question, str) else text
        if status == 202 and isinstance(turn, int):
            return Posted(turn, question)
        hint = answer.get("hint")
        if status == 200 and isinstance(hint, str) and hint:
            return Posted(None, line=hint)  # a touch on the plan that is on no place
        error = answer.get("error")
        logger.info("touch: the kiosk refused a question (HTTP %d: %s)", status, error)
        return Posted(None, line=error if isinstance(error, str) and error else CANNOT_ASK)

    def plan_image(self, size: tuple[int, int]) -> np.ndarray | None:
        """The station plan drawn at ``size`` (BGR), or None when the desk cannot draw it."""
        try:
            status, data = self._raw("GET", f"/touch/plan.png?w={size[0]}&h={size[1]}")
        except (OSError, http.client.HTTPException) as exc:
            logger.info("touch: cannot fetch the station plan (%s)", exc)
            return None
        image = (cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                 if status == 200 else None)
        if image is None or (image.shape[1], image.shape[0]) != size:
            logger.info("touch: no station plan at %dx%d (HTTP %d)", *size, status)
            return None
        return image

    def reply(self, turn: int, timeout_s: float = 30.0, poll_s: float = 0.3,
              still: Callable[[], bool] = lambda: True) -> Answered | None:
        """The reply to ``turn`` (or a later question's) once the kiosk has it; None after
        ``timeout_s``, or as soon as ``still()`` is false (the screen asked again)."""
        deadline = time.monotonic() + timeout_s
        while still() and time.monotonic() < deadline:
            try:
                status, data = self._request("GET", "/touch/reply")
            except (OSError, http.client.HTTPException):
                status, data = 0, None
            if status == 200 and isinstance(data, dict):
                got, text = data.get("turn"), data.get("reply")
                if isinstance(got, int) and got >= turn and isinstance(text, str):
                    language = data.get("language")
                    return Answered(text, language if isinstance(language, str) else "en")
            time.sleep(poll_s)
        return None
