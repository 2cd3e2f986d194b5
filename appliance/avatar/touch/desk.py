"""The orchestrator's touch desk: questions from the screen in, the latest reply out.

Mounted on the avatar's MJPEG server (``127.0.0.1:<avatar.mjpeg_port>`` unless the
stream is bound elsewhere), next to the stream:

- ``GET /touch``: the browser preview's page (:mod:`appliance.avatar.touch.page`);
- ``GET /touch/suggestions``: the pack's suggested questions and the longest question;
- ``POST /touch/ask`` (``application/json``: ``{"text", "source": "touch"|"text",
  "sign": bool}``): 202 ``{"turn"}``, or 400 ``{"error"}`` with one line for the screen;
- ``GET /touch/reply``: the latest reply to a touched or typed question;
- ``GET /touch/plan.png?w=W&h=H``: the station plan drawn at W x H pixels, when the pack
  has one (``"plan"`` in ``/touch/suggestions``; :mod:`appliance.avatar.touch.plan`);
- ``POST /touch/plan`` (``{"x", "y", "w", "h", "sign"}``: a touch at pixel x, y of the plan
  drawn at w x h): 202 ``{"turn", "place", "question"}`` when it lands on a place, whose
  question is then asked like a touched suggestion; 200 ``{"turn": null, "hint"}`` when it
  lands on none (nothing is asked); 400 ``{"error"}``.

The HTTP threads never touch the pipeline: a checked question is handed to the kiosk's
asyncio loop with ``run_coroutine_threadsafe``. Requiring JSON makes a browser ask a
CORS preflight for any cross-site post, which this server never grants.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from appliance.avatar.sinks.base import FrameSink
from appliance.avatar.sinks.mjpeg import HttpAnswer, MjpegPreview
from appliance.avatar.touch.page import PAGE
from appliance.avatar.touch.plan import NO_PLACE, PlanTouch, check_size
from appliance.errors import InputError
from appliance.frames import Frame, Reply, Transcript
from appliance.pipeline.typed import MAX_CHARS, Question, check_question
from appliance.sitepack.model import Suggestion

if TYPE_CHECKING:
    from appliance.app import Kiosk

logger = logging.getLogger(__name__)

CANNOT_TAKE = "The kiosk cannot take questions right now."


def _json(status: int, body: dict[str, Any]) -> HttpAnswer:
    return status, "application/json", json.dumps(body).encode()


class TouchDesk:
    """Routes for :class:`MjpegPreview`: ``get(path)`` / ``post(path, ctype, body)``."""

    def __init__(self, kiosk: Kiosk, loop: asyncio.AbstractEventLoop,
                 suggestions: Sequence[Suggestion] = (), plan: PlanTouch | None = None) -> None:
        self.kiosk, self.loop = kiosk, loop
        self.suggestions = list(suggestions)
        self.plan = plan
        """The station plan to touch (None: the pack has none, the screens show no plan)."""
        self._lock = threading.Lock()
        self._latest: dict[str, Any] = {"turn": 0}
        self._asked: dict[int, str] = {}
        kiosk.pipeline.on_frame(self.on_frame)

    def on_frame(self, frame: Frame) -> None:
        """Keep the latest reply to a question from the screen (the pipeline's end)."""
        if not isinstance(frame, (Transcript, Reply)) or frame.asked.source == "voice":
            return
        if isinstance(frame, Transcript):  # reaches the end before its reply
            self._asked = {frame.turn_id: frame.text}
            return
        with self._lock:
            self._latest = {"turn": frame.turn_id, "question": self._asked.get(frame.turn_id, ""),
                            "reply": frame.text, "source": frame.asked.source,
                            "sign": frame.asked.sign, "language": frame.language}

    def get(self, path: str) -> HttpAnswer | None:
        parts = urlsplit(path)
        path = parts.path
        if path in ("/touch", "/touch/"):
            return 200, "text/html; charset=utf-8", PAGE.encode()
        if path == "/touch/suggestions":
            plan = {"title": self.plan.plan.title} if self.plan is not None else None
            return _json(200, {"suggestions": [asdict(s) for s in self.suggestions],
                               "max_chars": MAX_CHARS, "plan": plan})
        if path == "/touch/reply":
            with self._lock:
                return _json(200, dict(self._latest))
        if path == "/touch/plan.png" and self.plan is not None:
            query = parse_qs(parts.query)
            w, h = (query.get(k, [""])[0] for k in ("w", "h"))
            try:
                size = check_size(int(w) if w.isdecimal() else None,
                                  int(h) if h.isdecimal() else None)
            except InputError as exc:
                return _json(400, {"error": str(exc)})
            return 200, "image/png", self.plan.png(size)
        return None

    def post(self, path: str, ctype: str, body: bytes) -> HttpAnswer | None:
        if path not in ("/touch/ask", "/touch/plan") or (path == "/touch/plan"
                                                          and self.plan is None):
            return None
        if ctype.split(";")[0].strip().lower() != "application/json":
            return _json(415, {"error": "send the question as application/json"})
        try:
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict):
                raise InputError("the request must be a JSON object")
            if path == "/touch/plan":
                return self._plan_touch(data)
            question = check_question(data.get("text"), data.get("source", "text"),
                                      data.get("sign", False))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _json(400, {"error": "the request is not JSON"})
        except InputError as exc:
            return _json(400, {"error": str(exc)})
        turn = self._hand_over(question)
        if turn is None:
            return _json(503, {"error": CANNOT_TAKE})
        return _json(202, {"turn": turn})

    def _plan_touch(self, data: dict[str, Any]) -> HttpAnswer:
        """A touch on the plan: the place's question asked as a touch, or a hint."""
        assert self.plan is not None
        size = check_size(data.get("w"), data.get("h"))
        x, y = data.get("x"), data.get("y")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                   and 0 <= v <= side for v, side in ((x, size[0]), (y, size[1]))):
            raise InputError("x and y must be a point on the plan")
        touched = self.plan.touched(float(x), float(y), size)  # type: ignore[arg-type]
        if touched is None:
            return _json(200, {"turn": None, "hint": NO_PLACE})
        question = check_question(touched.question, "touch", data.get("sign", False))
        # answered in the visitor's language: the question is the pack's own words
        question = replace(question, language=self.kiosk.conversation_language())
        turn = self._hand_over(question)
        if turn is None:
            return _json(503, {"error": CANNOT_TAKE})
        logger.info("touch: the plan's %s asks %r", touched.place.id, question.text)
        return _json(202, {"turn": turn, "place": touched.place.id,
                           "question": question.text})

    def _hand_over(self, question: Question) -> int | None:
        """Ask on the kiosk's loop; the turn, or None when the loop cannot take it."""
        future = asyncio.run_coroutine_threadsafe(self.kiosk.ask(question), self.loop)
        try:
            return future.result(timeout=5)
        except Exception:  # the loop is stopping or stuck: the screen says so
            logger.exception("touch: cannot hand the question to the kiosk")
            return None


def mount_touch(kiosk: Kiosk, sinks: Sequence[FrameSink]) -> TouchDesk | None:
    """Serve the touch desk next to the avatar stream (call on the kiosk's loop); None
    when no stream runs (``avatar.mjpeg_port = 0``): then no screen can take questions."""
    from appliance.engines.qa.site_qa import SiteQa
    from appliance.sitepack.suggest import suggestions

    stream = next((s for s in sinks if isinstance(s, MjpegPreview)), None)
    if stream is None:
        logger.info("touch and text off: no avatar stream to serve them next to")
        return None
    qa = kiosk.engines.qa
    shown = suggestions(qa.pack) if isinstance(qa, SiteQa) else []
    plan = PlanTouch.from_pack(qa.pack) if isinstance(qa, SiteQa) else None
    desk = TouchDesk(kiosk, asyncio.get_running_loop(), shown, plan)
    stream.routes = desk
    logger.info("touch and text on %stouch (%d suggested questions, %s)", stream.url,
                len(shown), "a station plan" if plan is not None else "no station plan")
    return desk
