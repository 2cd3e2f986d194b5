"""sd_notify for the orchestrator: readiness, status lines and the watchdog.

systemd starts ``kiosk.service`` as ``Type=notify`` with ``WatchdogSec=``; the
service tells systemd it is ready (``READY=1``), what it is doing
(``STATUS=...``, shown by ``systemctl status kiosk``) and that its main loop is
alive (``WATCHDOG=1``). When ``systemd-python`` is importable its
:func:`systemd.daemon.notify` sends the messages; otherwise this module writes
the datagram to ``$NOTIFY_SOCKET`` itself (a path, or ``@name`` for the
abstract namespace). Outside systemd (no ``$NOTIFY_SOCKET``) every call is a
cheap no-op, so the same code runs on a laptop.

Usage from ``kiosk run``::

    notifier = Notifier()
    notifier.status("loading models")
    ...  # load engines, start the pipeline
    watchdog = notifier.start_watchdog()   # a task on the running loop, or None
    notifier.ready("listening")
    ...
    notifier.stopping()

The watchdog pings from a task on the asyncio loop every half of
``$WATCHDOG_USEC``: if the loop freezes (a blocking call, a deadlock) the pings
stop and systemd restarts the service. An optional ``healthy`` callback lets
the pipeline withhold pings when it knows it is stuck even though the loop
still turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

EXTEND_STEP_S = 90.0
"""Each renewal asks systemd for this much more start time, counted from the message."""
EXTEND_EVERY_S = 30.0
"""Renewed this often: two renewals can be late before the step runs out."""
EXTEND_LIMIT_S = 45 * 60.0
"""A start-up still loading after this long is hung: stop asking (every engine built
from scratch on an Orin Nano takes well under half of it)."""


def _systemd_notify() -> Callable[..., Any] | None:
    """``systemd.daemon.notify`` when systemd-python is installed, else None."""
    try:  # by name: the repository's own systemd/ folder would shadow it for mypy
        daemon = importlib.import_module("systemd.daemon")
    except ImportError:
        return None
    notify = getattr(daemon, "notify", None)
    return notify if callable(notify) else None


def socket_address(path: str) -> str | bytes:
    """The ``sendto`` address for a ``$NOTIFY_SOCKET`` value (``@x`` = abstract)."""
    if path.startswith("@"):
        return b"\0" + path[1:].encode()
    return path


def watchdog_interval(environ: dict[str, str] | None = None) -> float | None:
    """The watchdog timeout systemd set for this process, in seconds, or None.

    Reads ``$WATCHDOG_USEC``; ``$WATCHDOG_PID``, when set, must be our pid
    (systemd sets it so a child process does not ping for its parent).
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec:
        return None
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        logger.warning("ignoring invalid WATCHDOG_USEC=%r", usec)
        return None
    return value / 1_000_000 if value > 0 else None


class Notifier:
    """Sends sd_notify messages; every method is a no-op outside systemd.

    ``socket_path`` defaults to ``$NOTIFY_SOCKET``. ``use_module`` forces
    (True) or forbids (False) ``systemd.daemon.notify``; by default it is used
    when importable and the socket is the one from the environment.
    """

    def __init__(self, socket_path: str | None = None, *, use_module: bool | None = None) -> None:
        env_path = os.environ.get("NOTIFY_SOCKET", "")
        self.socket_path = env_path if socket_path is None else socket_path
        module = _systemd_notify() if use_module is not False else None
        if use_module is None and self.socket_path != env_path:
            module = None  # the module only knows $NOTIFY_SOCKET
        self._module_notify = module
        self._sock: socket.socket | None = None
        self.sent = 0
        """Messages handed to systemd so far (for tests and the health report)."""

    @property
    def enabled(self) -> bool:
        """True when running under a supervisor that listens (``$NOTIFY_SOCKET`` set)."""
        return bool(self.socket_path)

    @property
    def backend(self) -> str:
        """``systemd-python``, ``socket`` or ``disabled``."""
        if not self.enabled:
            return "disabled"
        return "systemd-python" if self._module_notify is not None else "socket"

    def notify(self, state: str) -> bool:
        """Send one raw sd_notify message (``KEY=value`` lines); True if sent."""
        if not self.enabled:
            return False
        try:
            if self._module_notify is not None:
                ok = bool(self._module_notify(state))
            else:
                ok = self._send(state.encode())
        except OSError as exc:
            logger.warning("sd_notify failed (%s): %s", state.split("=", 1)[0], exc)
            return False
        if ok:
            self.sent += 1
        return ok

    def _send(self, payload: bytes) -> bool:
        if self._sock is None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._sock.sendto(payload, socket_address(self.socket_path))
        return True

    def ready(self, status: str | None = None) -> bool:
        """Tell systemd start-up is complete (models loaded, pipeline running)."""
        state = "READY=1"
        if status:
            state += "\nSTATUS=" + _one_line(status)
        return self.notify(state)

    def status(self, text: str) -> bool:
        """A one-line status a technician reads in ``systemctl status kiosk``."""
        return self.notify("STATUS=" + _one_line(text))

    def stopping(self, status: str | None = None) -> bool:
        """Tell systemd an orderly shutdown has begun."""
        state = "STOPPING=1"
        if status:
            state += "\nSTATUS=" + _one_line(status)
        return self.notify(state)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start/stop time (a long model load or engine build)."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")

    async def keep_extending(
        self,
        step_s: float = EXTEND_STEP_S,
        every_s: float = EXTEND_EVERY_S,
        limit_s: float = EXTEND_LIMIT_S,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Renew ``EXTEND_TIMEOUT_USEC=step_s`` every ``every_s`` until cancelled or
        ``limit_s`` has passed.

        One extension cannot cover a first start on a Jetson (TensorRT builds every engine:
        minutes per model on an Orin Nano), and a long fixed one would let a hung start sit
        for that long. Renewing keeps systemd waiting exactly as long as we are still
        loading, and the limit makes a start that never ends fail, so the restart and the
        boot-loop guard get their turn.
        """
        if not self.enabled:
            return
        start = clock()
        while True:
            left = limit_s - (clock() - start)
            if left <= 0:
                logger.error("start-up still not done after %.0f s: no more time asked of "
                             "systemd (it will stop the start)", limit_s)
                return
            self.extend_timeout(min(step_s, left))
            await sleep(every_s)

    @contextlib.asynccontextmanager
    async def extending(self, **kwargs: Any) -> AsyncIterator[None]:
        """``async with notifier.extending():`` around a long start-up phase (loading and
        warming the engines, building TensorRT engines): :meth:`keep_extending` meanwhile."""
        task = asyncio.get_running_loop().create_task(self.keep_extending(**kwargs),
                                                      name="sd-extend-timeout")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def watchdog(self) -> bool:
        """One keep-alive ping (``WATCHDOG=1``)."""
        return self.notify("WATCHDOG=1")

    def watchdog_trigger(self) -> bool:
        """Ask systemd to act as if the watchdog expired (self-detected hang)."""
        return self.notify("WATCHDOG=trigger")

    async def run_watchdog(
        self,
        interval: float | None = None,
        *,
        healthy: Callable[[], bool] | None = None,
    ) -> None:
        """Ping every ``interval / 2`` seconds from this loop, until cancelled.

        ``interval`` defaults to :func:`watchdog_interval`; without one this
        returns at once. A ping is skipped while ``healthy()`` returns False.
        """
        timeout = watchdog_interval() if interval is None else interval
        if not self.enabled or not timeout:
            return
        period = timeout / 2
        logger.info("watchdog: pinging every %.3f s (timeout %.3f s)", period, timeout)
        while True:
            if healthy is None or _is_healthy(healthy):
                self.watchdog()
            else:
                logger.warning("watchdog: pipeline unhealthy, withholding ping")
            await asyncio.sleep(period)

    def start_watchdog(
        self,
        interval: float | None = None,
        *,
        healthy: Callable[[], bool] | None = None,
    ) -> asyncio.Task[None] | None:
        """Start :meth:`run_watchdog` as a task on the running loop (None if no watchdog)."""
        timeout = watchdog_interval() if interval is None else interval
        if not self.enabled or not timeout:
            return None
        coro = self.run_watchdog(timeout, healthy=healthy)
        return asyncio.get_running_loop().create_task(coro, name="sd-watchdog")

    def close(self) -> None:
        """Release the fallback socket."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_healthy(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # a broken probe counts as unhealthy: systemd restarts us
        logger.exception("watchdog: health check raised")
        return False
