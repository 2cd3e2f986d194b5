"""Commands: parsing and checking ``cmd/<name>`` requests, and the handler registry.

A request is a JSON object ``{"id": "...", "args": {...}, "expires": <unix s>,
"device": "<id>"}`` published (QoS 1) to ``kiosk/v1/<site>/<id>/cmd/<name>``
with the MQTT v5 *response topic* (this device's ``res``), *correlation data*
and *message expiry*. The reply is JSON on the response topic, carrying the
same correlation data: ``{"id", "cmd", "status", "code", "result"|"error", "seq", "ts"}``
where ``status`` is ``ok``, ``error``, ``refused``, ``duplicate``,
``unsupported`` or ``interrupted``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from appliance.errors import KioskError
from appliance.telemetry.topics import DeviceTopics, valid_segment

logger = logging.getLogger(__name__)

MAX_COMMAND_BYTES = 64 * 1024
DEFAULT_REPLY_TTL_S = 300
MAX_COMMAND_TTL_S = 7 * 24 * 3600
"""The furthest a command's ``expires`` may lie in the future (the broker keeps an
offline device's session 24 h; a week leaves room for clock skew, not for Infinity)."""
MAX_CORRELATION_BYTES = 256
CommandHandler = Callable[[dict[str, Any]], "dict[str, Any] | None"]

KNOWN_COMMANDS = (
    "rebirth", "restart", "reboot", "say", "set-volume", "screenshot", "selftest", "logs", "update",
)
"""The fleet's command vocabulary; the kiosk registers handlers for those it supports."""


_running = threading.local()


def current() -> Command | None:
    """The command whose handler runs in this thread (e.g. to tag progress events)."""
    return getattr(_running, "command", None)


class CommandRefused(KioskError):
    """A command that must not run: malformed, expired, duplicate, other device, unknown."""

    code = "cmd-refused"


@dataclass
class Command:
    """A checked request, ready to run."""

    id: str
    name: str
    args: dict[str, Any]
    reply_topic: str
    correlation: bytes | None
    expires_at: float | None = None
    received: float = field(default_factory=time.time)

    def reply(self, status: str, *, code: str = "", result: Any = None,
              error: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "cmd": self.name, "status": status,
                                "ts": time.time()}
        if code:
            body["code"] = code
        if result is not None:
            body["result"] = result
        if error:
            body["error"] = error[:500]
        return body

    def reply_expiry(self) -> float:
        """Absolute time after which the reply is useless (for the message expiry)."""
        if self.expires_at is not None:
            return max(self.expires_at, time.time() + 30)
        return time.time() + DEFAULT_REPLY_TTL_S


def parse(
    topics: DeviceTopics,
    topic: str,
    payload: bytes,
    response_topic: str | None,
    correlation: bytes | None,
    now: float | None = None,
) -> Command:
    """Check one request. Raises :class:`CommandRefused` carrying a partial
    :class:`Command` (``exc.command``) so that a refusal can still be answered."""
    now = time.time() if now is None else now
    name = topic.rsplit("/", 1)[-1]
    # Replies only ever go to this device's own res topic: anything else (another
    # device's, a wildcard) could not be published and would wedge the outbox.
    if correlation is not None and len(correlation) > MAX_CORRELATION_BYTES:
        correlation = None
    cmd = Command(id="", name=name[:64], args={}, reply_topic=topics.res,
                  correlation=correlation)

    def refuse(code: str, message: str) -> CommandRefused:
        err = CommandRefused(message, code=code)
        err.command = cmd  # type: ignore[attr-defined]
        return err

    if not topic.startswith(topics.base + "/cmd/"):
        raise refuse("cmd-other-device", f"command topic {topic!r} is not this device's")
    if len(payload) > MAX_COMMAND_BYTES:
        raise refuse("cmd-too-large", f"{len(payload)} bytes > {MAX_COMMAND_BYTES}")
    try:
        doc = json.loads(payload) if payload else {}
    except (ValueError, RecursionError) as exc:
        raise refuse("cmd-malformed", f"not JSON: {str(exc)[:100]}") from None
    if not isinstance(doc, dict):
        raise refuse("cmd-malformed", "payload must be a JSON object")
    cmd_id = doc.get("id")
    if isinstance(cmd_id, str) and 0 < len(cmd_id) <= 128:
        cmd.id = cmd_id
    else:
        raise refuse("cmd-malformed", "'id' must be a string of 1-128 characters")
    if not valid_segment(name):
        raise refuse("cmd-malformed", f"bad command name {name!r}")
    if response_topic is not None and response_topic != topics.res:
        raise refuse("cmd-bad-response-topic",
                     f"response topic {response_topic[:120]!r} is not {topics.res!r}")
    device = doc.get("device")
    if device is not None and device != topics.device_id:
        raise refuse("cmd-other-device", f"command addressed to {device!r}")
    args = doc.get("args", {})
    if not isinstance(args, dict):
        raise refuse("cmd-malformed", "'args' must be an object")
    cmd.args = args
    expires = doc.get("expires")
    if expires is not None:
        if isinstance(expires, bool) or not isinstance(expires, (int, float)):
            raise refuse("cmd-malformed", "'expires' must be a unix time in seconds")
        if not expires > now:  # also refuses NaN
            raise refuse("cmd-expired", "command expired before it arrived")
        if not expires <= now + MAX_COMMAND_TTL_S:  # also refuses Infinity
            raise refuse("cmd-malformed",
                         f"'expires' is more than {MAX_COMMAND_TTL_S // 86400} days ahead")
        cmd.expires_at = float(expires)
    return cmd


class CommandRouter:
    """Name -> handler registry; runs a command and turns the outcome into a reply."""

    def __init__(self) -> None:
        self._handlers: dict[str, CommandHandler] = {}

    def register(self, name: str, handler: CommandHandler) -> None:
        if not valid_segment(name):
            raise ValueError(f"invalid command name {name!r}")
        self._handlers[name] = handler

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def __contains__(self, name: object) -> bool:
        return name in self._handlers

    def run(self, cmd: Command) -> dict[str, Any]:
        handler = self._handlers.get(cmd.name)
        if handler is None:
            return cmd.reply("unsupported", code="cmd-unsupported",
                             error=f"this device does not support {cmd.name!r}")
        _running.command = cmd
        try:
            result = handler(cmd.args)
        except KioskError as exc:
            logger.warning("command %s (%s) failed: %s", cmd.name, cmd.id, exc)
            return cmd.reply("error", code=exc.code, error=str(exc))
        except Exception as exc:
            logger.exception("command %s (%s) crashed", cmd.name, cmd.id)
            return cmd.reply("error", code="cmd-failed", error=repr(exc))
        finally:
            _running.command = None
        return cmd.reply("ok", result=result if result is not None else {})
