"""The display session: ``kiosk run``'s avatar stream, the ``kiosk display`` viewer, its window.

Real parts: the MJPEG server on a loopback port, an HTTP client that parses and
decodes the stream, and an SDL window on SDL's off-screen driver.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from appliance.avatar.live import LiveAvatar
from appliance.avatar.screens import starting_screen
from appliance.avatar.sinks import MemorySink
from appliance.avatar.sinks.choose import open_live_sinks, stream_sink
from appliance.avatar.viewer import MjpegReader, Viewer, stream_url
from appliance.cli.main import main
from appliance.settings import AvatarSettings
from tests.integration.waiting import until

SIZE = (270, 480)


@pytest.fixture(autouse=True)
def _root_logger() -> Iterator[None]:
    """``kiosk display`` sets up service logging: give the root logger back afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings(port: int) -> AvatarSettings:
    return AvatarSettings(width=SIZE[0], height=SIZE[1], fps=15, window=False, mjpeg_port=port)


def orchestrator(port: int) -> LiveAvatar:
    """What ``kiosk run`` publishes: the live avatar on the full-size MJPEG stream."""
    live = LiveAvatar(settings(port))
    live.start()
    return live


def test_the_viewer_shows_the_stream_and_waits_through_a_restart() -> None:
    port = free_port()
    reader = MjpegReader(stream_url(port), timeout_s=2.0, retry_s=0.1)
    shown = MemorySink(max_frames=2)
    viewer = Viewer(reader, shown, SIZE, stale_s=0.5)
    stop = threading.Event()
    thread = threading.Thread(target=viewer.run, kwargs={"stop": stop})
    reader.start()
    thread.start()
    live = None
    try:
        # nothing there yet: the screen says "Starting..."
        assert until(lambda: shown.count > 0)
        assert viewer.showing == "starting"
        assert np.array_equal(shown.frames[-1], starting_screen(*SIZE))

        live = orchestrator(port)
        assert until(lambda: viewer.showing == "stream" and reader.frames > 3)
        frame = shown.frames[-1]
        assert frame.shape == (SIZE[1], SIZE[0], 3)  # full size, decoded
        rendered = live.scene.render(time.monotonic()).astype(np.int16)
        assert float(np.abs(frame.astype(np.int16) - rendered).mean()) < 12  # the same screen

        live.stop()  # the orchestrator restarts
        live = None
        assert until(lambda: viewer.showing == "starting")
        live = orchestrator(port)
        assert until(lambda: viewer.showing == "stream" and reader.connects == 2)
    finally:
        stop.set()
        thread.join(timeout=5)
        reader.stop()
        if live is not None:
            live.stop()


def test_the_stream_encodes_each_frame_once_for_every_client() -> None:
    sink = stream_sink(settings(0))
    try:
        frame = np.full((SIZE[1], SIZE[0], 3), 90, np.uint8)
        sink.write(frame, 0.0)
        first = sink.jpeg(timeout=1.0)
        assert first is not None and first[:2] == b"\xff\xd8"  # a JPEG
        assert sink.jpeg(timeout=1.0) is first  # cached, not re-encoded
        sink.write(frame, 0.1)
        assert sink.jpeg(timeout=1.0) is not first
    finally:
        sink.close()


def test_a_stream_that_stays_away_turns_into_out_of_service() -> None:
    reader = MjpegReader(stream_url(free_port()), retry_s=0.1)
    shown = MemorySink(max_frames=1)
    viewer = Viewer(reader, shown, SIZE, out_of_service_after_s=0.3)
    reader.start()
    try:
        viewer.run(duration=0.8)
    finally:
        reader.stop()
    assert viewer.shown["starting"] > 0 and viewer.showing == "out_of_service"


def test_headless_kiosk_run_logs_once_and_keeps_the_stream(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(var, raising=False)
    with caplog.at_level(logging.INFO):
        sinks = open_live_sinks(replace(settings(free_port()), window=True))
    try:
        assert [s.name for s in sinks] == ["mjpeg"]
    finally:
        for s in sinks:
            s.close()
    lines = [r.getMessage() for r in caplog.records if "window off" in r.getMessage()]
    assert len(lines) == 1 and "DISPLAY" in lines[0]


def test_a_taken_port_degrades_to_no_stream(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert open_live_sinks(settings(busy.getsockname()[1])) == []
    assert any("avatar stream off" in r.getMessage() for r in caplog.records)


def test_kiosk_display_without_a_display_is_one_clear_line(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        kiosk_root: object) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(var, raising=False)
    assert main(["display", "--url", stream_url(free_port())]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "display-unavailable" in err[0] and "DISPLAY" in err[0]


def test_kiosk_display_rejects_a_bad_url(capsys: pytest.CaptureFixture[str],
                                         kiosk_root: object) -> None:
    assert main(["display", "--url", "rtsp://camera/1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad-input" in err[0]


def test_kiosk_display_shows_the_stream_in_an_sdl_window(
        monkeypatch: pytest.MonkeyPatch, kiosk_root: object) -> None:
    pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # SDL's off-screen video driver
    port = free_port()
    live = orchestrator(port)
    try:
        assert main(["display", "--url", stream_url(port), "--windowed",
                     "--duration", "1.0"]) == 0
    finally:
        live.stop()


def test_the_sdl_window_shows_bgr_frames_in_their_colours(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pg = pytest.importorskip("pygame")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    from appliance.avatar.sinks.sdl import SdlWindowSink

    window = SdlWindowSink(fullscreen=False, size=(100, 200))
    try:
        frame = np.zeros((400, 200, 3), np.uint8)
        frame[:, :, 2] = 255  # BGR red
        window.write(frame, 0.0)
        r, g, b, *_ = pg.display.get_surface().get_at((50, 100))
        assert (r, g, b) == (255, 0, 0)
    finally:
        window.close()
