"""sd_notify and the watchdog, against a real AF_UNIX datagram socket the test owns."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance.system import sdnotify
from appliance.system.sdnotify import Notifier, socket_address, watchdog_interval


class NotifySocket:
    """What systemd would be: a bound datagram socket and a reader thread."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(socket_address(address))
        self.sock.settimeout(0.05)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def wait_for(self, text: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in m for _, m in self.messages):
                return
            time.sleep(0.01)
        raise AssertionError(f"{text!r} never arrived; got {self.messages}")

    def pings(self) -> list[float]:
        return [t for t, m in self.messages if m == "WATCHDOG=1"]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    server = NotifySocket(str(tmp_path / "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", server.address)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield server
    server.close()


def test_disabled_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    assert notifier.backend == "disabled"
    assert notifier.ready() is False
    assert notifier.start_watchdog(1.0) is None


def test_ready_and_status_reach_the_socket(notify_socket: NotifySocket) -> None:
    notifier = Notifier(use_module=False)
    assert notifier.backend == "socket"
    assert notifier.status("loading   models\nplease wait")
    assert notifier.ready("listening")
    notify_socket.wait_for("READY=1")
    texts = [m for _, m in notify_socket.messages]
    assert texts[0] == "STATUS=loading models please wait"
    assert texts[1] == "READY=1\nSTATUS=listening"
    notifier.close()


def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"@kiosk-test-{os.getpid()}-{time.monotonic_ns()}"
    server = NotifySocket(name)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", name)
        notifier = Notifier(use_module=False)
        assert notifier.ready()
        server.wait_for("READY=1")
        notifier.close()
    finally:
        server.close()


def test_systemd_python_backend(notify_socket: NotifySocket) -> None:
    if sdnotify._systemd_notify() is None:
        pytest.skip("systemd-python is not installed")
    notifier = Notifier()
    assert notifier.backend == "systemd-python"
    assert notifier.ready("up")
    notify_socket.wait_for("READY=1\nSTATUS=up")


def test_watchdog_interval_from_environment() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    mine = {"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval(mine) == 2.0
    assert watchdog_interval({"WATCHDOG_USEC": "nonsense"}) is None
    assert watchdog_interval({}) is None


async def test_watchdog_pings_at_half_the_interval(
    notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schedule, in virtual time: one ping, then a sleep of interval/2, repeated."""
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float) -> None:
        sleeps.append(delay)
        if len(sleeps) >= 3:
            raise asyncio.CancelledError
        await real_sleep(0)

    monkeypatch.setattr(sdnotify.asyncio, "sleep", fake_sleep)
    notifier = Notifier(use_module=False)
    with pytest.raises(asyncio.CancelledError):
        await notifier.run_watchdog()
    assert sleeps == [15.0, 15.0, 15.0]
    assert notifier.sent == 3
    notify_socket.wait_for("WATCHDOG=1")
    notifier.close()


async def test_watchdog_stops_pinging_while_the_loop_is_frozen(
    notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # 0.2 s: a ping every 0.1 s
    notifier = Notifier(use_module=False)
    task = notifier.start_watchdog()
    assert task is not None
    while len(notify_socket.pings()) < 2:  # the loop turns: pings arrive
        await asyncio.sleep(0.05)
    time.sleep(0.1)  # let anything already sent be read
    frozen_at = time.monotonic()
    time.sleep(0.8)  # the loop is frozen: four intervals without a turn
    thawed_at = time.monotonic()
    during = [t for t in notify_socket.pings() if frozen_at < t < thawed_at]
    assert during == []
    count = len(notify_socket.pings())
    while len(notify_socket.pings()) <= count:  # and pinging resumes after
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    notifier.close()


async def test_unhealthy_pipeline_withholds_pings(
    notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "100000")
    healthy = {"ok": False}
    notifier = Notifier(use_module=False)
    task = notifier.start_watchdog(healthy=lambda: healthy["ok"])
    assert task is not None
    await asyncio.sleep(0.3)
    assert notifier.sent == 0
    healthy["ok"] = True
    while not notify_socket.pings():
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    notifier.close()


def test_send_failure_is_reported_not_raised(tmp_path: Path) -> None:
    notifier = Notifier(str(tmp_path / "nobody-listens.sock"), use_module=False)
    assert notifier.enabled
    assert notifier.ready() is False
    notifier.close()


async def test_start_time_is_renewed_while_loading_and_stops_at_the_limit(
        notify_socket: NotifySocket) -> None:
    """Virtual time: every renewal asks for the step (less at the end), then none."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    n = Notifier(use_module=False)
    await n.keep_extending(step_s=90, every_s=30, limit_s=100, sleep=sleep,
                           clock=lambda: now[0])
    notify_socket.wait_for("EXTEND_TIMEOUT_USEC=10000000")
    extends = [m for _, m in notify_socket.messages if m.startswith("EXTEND_TIMEOUT_USEC=")]
    # t = 0, 30, 60, 90: the step, never past the limit (100 s); t = 120: nothing
    assert extends == [f"EXTEND_TIMEOUT_USEC={s}000000" for s in (90, 70, 40, 10)]


async def _until(done: Callable[[], bool]) -> None:
    while not done():
        await asyncio.sleep(0.005)


async def test_renewals_end_with_the_phase_they_cover(notify_socket: NotifySocket) -> None:
    n = Notifier(use_module=False)
    async with n.extending(every_s=0.01):
        await asyncio.wait_for(_until(lambda: n.sent >= 2), 5)  # renewed, not sent once
    sent = n.sent
    await asyncio.sleep(0.05)
    assert n.sent == sent  # the renewing task is gone with the phase
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "sd-extend-timeout"]
