"""``kiosk display``'s side of the touch desk: HTTP to the server it streams from.

The display session is another process (another user) than ``kiosk run``; it reaches
the desk (:mod:`appliance.avatar.touch.desk`) the way the browser page does, on the
stream's own address: ``GET /touch/suggestions`` and ``POST /touch/ask``.
"""

from __future__ import annotations

import http.client
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

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


class TouchClient:
    """Talks to the desk next to the stream at ``stream_url`` (same host and port)."""

    def __init__(self, stream_url: str, timeout_s: float = 6.0) -> None:
        parts = urlsplit(stream_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout_s = timeout_s  # above the desk's own 5 s hand-over to the loop

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, object]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            try:
                return resp.status, json.loads(data.decode("utf-8")) if data else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                return resp.status, None  # 404's HTML page, for one
        finally:
            conn.close()

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
        return Desk(shown, max_chars if isinstance(max_chars, int) and max_chars > 0 else 500)

    def ask(self, text: str, source: str, sign: bool = False) -> str | None:
        """Post a question; None when taken, else the one line the screen shows."""
        body = json.dumps({"text": text, "source": source, "sign": sign}).encode()
        try:
            status, data = self._request("POST", "/touch/ask", body)
        except (OSError, http.client.HTTPException) as exc:
            logger.warning("touch: cannot post the question (%s)", exc)
            return CANNOT_ASK
        if status == 202:
            return None
        error = data.get("error") if isinstance(data, dict) else None
        logger.info("touch: the kiosk refused a question (HTTP %d: %s)", status, error)
        return error if isinstance(error, str) and error else CANNOT_ASK
