"""Commands mean what they say: offered only where they work, and a clean code where not.

A real (unstarted) TelemetryAgent and its router; a real MJPEG sink for the
screenshot; real files for ``logs``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from appliance.avatar.sinks.mjpeg import MjpegPreview
from appliance.errors import KioskError
from appliance.service.telemetry_link import TelemetryLink
from appliance.settings import TelemetrySettings, default_log_path
from appliance.telemetry import TelemetryAgent, builtins
from appliance.telemetry.commands import Command


@pytest.fixture
def agent(kiosk_root: Path) -> Iterator[TelemetryAgent]:
    made = TelemetryAgent(TelemetrySettings(enabled=True), site="s", device_id="dev-1",
                          data_dir=kiosk_root / "telemetry")
    builtins.install(made)  # rebirth, selftest, logs
    yield made
    made.stop()


def link(agent: TelemetryAgent, avatar: Any = None) -> TelemetryLink:
    kiosk = SimpleNamespace(pipeline=SimpleNamespace(on_frame=lambda _fn: None))
    loop = asyncio.new_event_loop()
    try:
        return TelemetryLink(kiosk, agent, loop, avatar)  # type: ignore[arg-type]
    finally:
        loop.close()


def run(agent: TelemetryAgent, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return agent.router.run(Command("c1", name, args or {}, "res", None))


def outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("INVOCATION_ID", raising=False)


def test_restart_outside_systemd_is_not_offered_and_answers_unsupported(
        agent: TelemetryAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    outside_systemd(monkeypatch)
    made = link(agent)
    made.on_restart = lambda: None  # even with a way to stop, nothing would start it again
    assert "restart" not in agent.router.names()
    reply = run(agent, "restart")
    assert reply["status"] == "unsupported" and reply["code"] == "cmd-unsupported"
    with pytest.raises(KioskError) as err:
        made._restart({})
    assert err.value.code == "cmd-unsupported"


def test_restart_under_systemd_is_offered(agent: TelemetryAgent,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    made = link(agent)
    assert "restart" in agent.router.names()
    assert run(agent, "restart")["code"] == "cmd-unsupported"  # no stop hook yet
    made.on_restart = lambda: None
    made.loop = asyncio.new_event_loop()  # the reply leaves first; the stop is scheduled
    try:
        reply = run(agent, "restart")
        assert reply["status"] == "ok" and reply["result"]["restarting_in_s"] > 0
    finally:
        made.loop.close()


def test_screenshot_is_the_avatar_frame_as_jpeg(agent: TelemetryAgent) -> None:
    preview = MjpegPreview(port=0)  # a free loopback port, as `kiosk run` serves it
    try:
        link(agent, SimpleNamespace(sinks=[preview]))
        assert "screenshot" in agent.router.names()
        frame = np.zeros((320, 180, 3), np.uint8)
        frame[:, :, 1] = 200
        preview.write(frame, 0.0)
        reply = run(agent, "screenshot")
        assert reply["status"] == "ok", reply
        data = base64.b64decode(reply["result"]["jpeg_base64"])
        assert data[:2] == b"\xff\xd8" and len(data) == reply["result"]["bytes"]
    finally:
        preview.close()


def test_no_avatar_frame_no_screenshot(agent: TelemetryAgent) -> None:
    link(agent, SimpleNamespace(sinks=[]))
    assert "screenshot" not in agent.router.names()
    assert run(agent, "screenshot")["code"] == "cmd-unsupported"


def test_a_large_frame_is_shrunk_to_fit() -> None:
    import cv2

    noise = np.random.default_rng(3).integers(0, 255, (1080, 1920, 3), np.uint8)
    big = bytes(cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes())
    result = builtins.screenshot(lambda: big, max_bytes=200_000)
    assert len(big) > 200_000 >= result["bytes"]
    with pytest.raises(KioskError) as err:
        builtins.screenshot(lambda: None)
    assert err.value.code == "screenshot-unavailable"


def test_reboot_only_when_logind_says_yes(agent: TelemetryAgent) -> None:
    def answer(text: str) -> Any:
        return lambda *_a, **_k: subprocess.CompletedProcess([], 0, stdout=text, stderr="")

    # where systemd does not run the machine, logind cannot reboot it whatever it says
    systemd = Path("/run/systemd/system").is_dir() and shutil.which("busctl") is not None
    assert builtins.reboot_permitted(answer('s "yes"\n')) is systemd
    assert builtins.reboot_permitted(answer('s "challenge"\n')) is False
    assert builtins.reboot_permitted(answer('s "no"\n')) is False
    if not builtins.reboot_permitted():
        link(agent)
        assert "reboot" not in agent.router.names()


def test_logs_read_the_file_kiosk_run_writes(agent: TelemetryAgent,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    outside_systemd(monkeypatch)
    builtins.install(agent)
    missing = run(agent, "logs")
    assert missing["status"] == "error" and missing["code"] == "logs-missing"
    from appliance.system import journal

    handler = journal.log_to_file(default_log_path())
    assert handler is not None
    try:
        logging.getLogger("appliance.test").warning("the kiosk said this")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    reply = run(agent, "logs", {"lines": 5})
    assert reply["status"] == "ok" and reply["result"]["source"] == "file"
    assert any("the kiosk said this" in line for line in reply["result"]["lines"])
    assert run(agent, "logs", {"lines": "many"})["code"] == "bad-input"


def test_journal_is_read_under_systemd() -> None:
    seen: list[list[str]] = []

    def journalctl(argv: list[str], **_kw: Any) -> Any:
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0, stdout="a\nb\nc\n", stderr="")

    result = builtins.tail_journal({"lines": 2}, 65536, run=journalctl)
    assert result == {"source": "journal", "unit": "kiosk.service", "lines": ["b", "c"],
                      "truncated": False}
    assert seen[0][:2] == ["journalctl", "--no-pager"] and "kiosk.service" in seen[0]
