"""Touch and text in ``kiosk display``: real SDL input events to ``POST /touch/ask``.

Real parts: the avatar's MJPEG server with the real touch desk mounted (its kiosk is a
stand-in that records the questions handed to it), the viewer reading the stream over
HTTP, and an SDL window on SDL's off-screen driver. Touches and clicks are pushed into
SDL's event queue (``pygame.event.post`` is ``SDL_PushEvent``) at the buttons' places,
and at the places of the station plan (the bundled pack's ``map.yaml``) as drawn.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from appliance.avatar.answer_map import PlanView
from appliance.avatar.sinks.mjpeg import MjpegPreview
from appliance.avatar.touch.client import TouchClient
from appliance.avatar.touch.desk import TouchDesk
from appliance.avatar.touch.plan import NO_PLACE, PlanTouch
from appliance.avatar.touch.screen import TouchScreen
from appliance.avatar.viewer import MjpegReader, Viewer, stream_url
from appliance.frames import Asked, Frame, Reply, Transcript
from appliance.pipeline.typed import Question
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from appliance.sitepack.model import Suggestion
from tests.integration.waiting import until

pg = pytest.importorskip("pygame")

SIZE = (270, 480)  # the stream's frames; the window shows them at half size
BIG = (540, 960)
SUGGESTIONS = [Suggestion("Toilets", "Where are the toilets?"),
               Suggestion("Lift", "Where is the lift?")]


@dataclass
class StandInKiosk:
    """What the desk needs of a kiosk: ``pipeline.on_frame``, ``ask`` and
    ``conversation_language``; records asks, and answers a question found in ``answers``
    at the pipeline's end as the kiosk would."""

    asked: list[Question] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    ends: list[Callable[[Frame], None]] = field(default_factory=list)

    @property
    def pipeline(self) -> StandInKiosk:
        return self

    def on_frame(self, callback: Callable[[Frame], None]) -> None:
        self.ends.append(callback)

    def conversation_language(self) -> str:
        return "en"

    async def ask(self, question: Question) -> int:
        self.asked.append(question)
        turn = len(self.asked)
        if question.text in self.answers:
            how = Asked(question.source, question.sign)
            for frame in (Transcript(question.text, asked=how, turn_id=turn),
                          Reply(self.answers[question.text], asked=how, turn_id=turn)):
                for end in self.ends:
                    end(frame)
        return turn


@dataclass
class Server:
    stream: MjpegPreview
    kiosk: StandInKiosk


def serve(desk: bool, size: tuple[int, int] = SIZE) -> Iterator[Server]:
    """The stream, with or without the desk (``kiosk run`` before touch had none); the
    desk has the bundled pack's station plan."""
    loop = asyncio.new_event_loop()
    looper = threading.Thread(target=loop.run_forever, daemon=True)
    looper.start()
    stream = MjpegPreview(port=0, max_fps=20, width=size[0])
    kiosk = StandInKiosk()
    if desk:
        plan = PlanTouch.from_pack(load_sitepack(bundled_sitepack_dir()))
        stream.routes = TouchDesk(kiosk, loop, SUGGESTIONS, plan)  # type: ignore[arg-type]
    stop = threading.Event()

    def frames() -> None:  # the avatar: grey, with a white band at the bottom
        frame = np.full((size[1], size[0], 3), 90, np.uint8)
        frame[-60:] = 255
        while not stop.is_set():
            stream.write(frame, time.monotonic())
            stop.wait(0.05)

    writer = threading.Thread(target=frames, daemon=True)
    writer.start()
    try:
        yield Server(stream, kiosk)
    finally:
        stop.set()
        writer.join(timeout=2)
        stream.close()
        loop.call_soon_threadsafe(loop.stop)
        looper.join(timeout=2)
        loop.close()


@pytest.fixture
def server() -> Iterator[Server]:
    yield from serve(desk=True)


@pytest.fixture
def old_server() -> Iterator[Server]:
    yield from serve(desk=False)


@pytest.fixture
def big_server() -> Iterator[Server]:
    """A stream twice the size, so the plan's places are a fingertip's size or more."""
    yield from serve(desk=True, size=BIG)


def open_window(monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]) -> Iterator[Any]:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # SDL's off-screen video driver
    from appliance.avatar.sinks.sdl import SdlWindowSink

    sink = SdlWindowSink(fullscreen=False, size=(size[0] // 2, size[1] // 2))
    yield sink
    sink.close()


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from open_window(monkeypatch, SIZE)


@pytest.fixture
def big_window(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from open_window(monkeypatch, BIG)


def run_display(server: Server, window: Any,
                visitor: Callable[[TouchScreen], None], size: tuple[int, int] = SIZE
                ) -> TouchScreen:
    """What ``kiosk display`` runs, on this thread (the window's); ``visitor`` touches
    the screen from another thread, then the display stops."""
    url = stream_url(server.stream.port)
    reader = MjpegReader(url, timeout_s=2.0, retry_s=0.1)
    touch = TouchScreen(TouchClient(url))
    window.on_press = touch.press
    stop = threading.Event()
    failed: list[BaseException] = []

    def act() -> None:
        try:
            visitor(touch)
        except BaseException as exc:  # re-raised on the test's thread
            failed.append(exc)
        finally:
            stop.set()

    reader.start()
    acting = threading.Thread(target=act, daemon=True)
    acting.start()
    try:
        Viewer(reader, window, size, stale_s=2.0, touch=touch).run(duration=60, stop=stop)
    finally:
        stop.set()
        acting.join(timeout=5)
        reader.stop()
    if failed:
        raise failed[0]
    return touch


def where(window: Any, touch: TouchScreen, label: str) -> tuple[float, float]:
    """The window point of the panel's button ``label``."""
    assert touch.panel is not None
    button = next(b for b in touch.panel.buttons() if b.label == label)
    return window.to_window(*button.centre)  # type: ignore[no-any-return]


def finger(window: Any, touch: TouchScreen, label: str) -> None:
    x, y = where(window, touch, label)
    w, h = window._screen.get_size()
    pg.event.post(pg.event.Event(pg.FINGERDOWN, touch_id=1, finger_id=0, x=x / w, y=y / h,
                                 dx=0.0, dy=0.0, pressure=1.0))


def click(window: Any, touch: TouchScreen, label: str) -> None:
    x, y = where(window, touch, label)
    pg.event.post(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(round(x), round(y)), button=1,
                                 touch=False))


def test_a_touched_suggestion_reaches_the_desk_as_a_touch(server: Server, window: Any) -> None:
    def visitor(touch: TouchScreen) -> None:
        assert until(lambda: touch.visible)
        finger(window, touch, "Lift")
        assert until(lambda: len(server.kiosk.asked) == 1)
        assert until(lambda: touch.panel is not None and "You asked" in touch.panel.notice)
        # SDL's mouse copy of a touch is not a second press
        x, y = where(window, touch, "Toilets")
        pg.event.post(pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(round(x), round(y)), button=1,
                                     touch=True))

    touch = run_display(server, window, visitor)
    assert server.kiosk.asked == [Question("Where is the lift?", "touch", False)]
    assert touch.desk == "yes"


def test_a_typed_question_reaches_the_desk_and_a_refusal_is_shown(
        server: Server, window: Any) -> None:
    def visitor(touch: TouchScreen) -> None:
        assert until(lambda: touch.visible)
        click(window, touch, "Sign: off")
        click(window, touch, "Type a question")
        assert until(lambda: touch.panel is not None and touch.panel.mode == "keyboard")
        for key in ("e", "x", "i", "t", "?", "Ask"):
            click(window, touch, key)
        assert until(lambda: len(server.kiosk.asked) == 1)
        panel = touch.panel
        assert panel is not None
        assert until(lambda: panel.notice == "You asked: exit?" and panel.line.text == "")
        click(window, touch, "Ask")  # nothing typed: the server's line comes back
        assert until(lambda: panel.notice == "Please type a question first.")

    run_display(server, window, visitor)
    assert server.kiosk.asked == [Question("exit?", "text", True)]


def test_an_old_server_without_a_desk_gets_the_avatar_only(
        old_server: Server, window: Any) -> None:
    def visitor(touch: TouchScreen) -> None:
        assert until(lambda: touch.desk == "none")
        w, h = window._screen.get_size()
        pg.event.post(pg.event.Event(pg.FINGERDOWN, touch_id=1, finger_id=0, x=0.5, y=0.9,
                                     dx=0.0, dy=0.0, pressure=1.0))
        # the bottom of the avatar (its white band) is on screen, not a panel
        assert until(lambda: min(pg.display.get_surface().get_at((w // 2, h - 5))[:3]) > 230)

    touch = run_display(old_server, window, visitor)
    assert touch.panel is None and not touch.visible


# --- the station plan ------------------------------------------------------------------------

LIFT = "Where is the lift?"
LIFT_REPLY = ("Lifts to the street are at Exit A and Exit D. Inside the station, the lift to "
              "all platforms is just past the wide ticket gate on the left.")
OFF_PLACES = (250.0, 470.0)
"""A point of the plan (its own units) on no place: between Exit B and the machines."""


def finger_at(window: Any, x: float, y: float) -> None:
    """A touch at screen (frame) point (x, y)."""
    wx, wy = window.to_window(x, y)
    w, h = window._screen.get_size()
    pg.event.post(pg.event.Event(pg.FINGERDOWN, touch_id=1, finger_id=0, x=wx / w, y=wy / h,
                                 dx=0.0, dy=0.0, pressure=1.0))


def on_plan(touch: TouchScreen, server: Server, point: tuple[float, float]
            ) -> tuple[float, float]:
    """Where a plan point is on the screen: the plan as the desk draws it, in the panel."""
    panel = touch.panel
    desk = server.stream.routes
    assert panel is not None and isinstance(desk, TouchDesk) and desk.plan is not None
    bx, by, _bw, _bh = panel.body_box()
    x, y = PlanView.fit(desk.plan.plan, panel.plan_size()).at(point)
    return bx + x, by + y


def test_a_place_touched_on_the_plan_asks_about_it_and_the_reply_shows_large(
        big_server: Server, big_window: Any) -> None:
    server, window = big_server, big_window
    server.kiosk.answers[LIFT] = LIFT_REPLY
    desk = server.stream.routes
    assert isinstance(desk, TouchDesk) and desk.plan is not None
    lift = desk.plan.plan.place("lift")
    assert lift is not None

    def visitor(touch: TouchScreen) -> None:
        assert until(lambda: touch.visible)
        finger(window, touch, "Station plan")
        panel = touch.panel
        assert panel is not None
        assert until(lambda: panel.mode == "plan" and panel.plan_image is not None
                     and panel.plan_image.shape[1::-1] == panel.plan_size())
        finger_at(window, *on_plan(touch, server, OFF_PLACES))  # on no place: a hint only
        assert until(lambda: panel.notice == NO_PLACE)
        assert server.kiosk.asked == []
        finger_at(window, *on_plan(touch, server, lift.centre))
        assert until(lambda: len(server.kiosk.asked) == 1)
        # the reply comes back and is shown in large text in place of the plan
        assert until(lambda: panel.mode == "reply" and panel.reply == LIFT_REPLY)
        assert panel.notice == f"You asked: {LIFT}"
        assert until(lambda: panel.reply_px > 0)
        assert panel.reply_px >= 36 * BIG[0] / 1080  # the kiosk's minimum, at this size

    run_display(server, window, visitor, BIG)
    assert server.kiosk.asked == [Question(LIFT, "touch", False, language="en")]


def test_a_fingertip_just_off_a_place_still_asks_about_it(
        big_server: Server, big_window: Any) -> None:
    server, window = big_server, big_window
    desk = server.stream.routes
    assert isinstance(desk, TouchDesk) and desk.plan is not None
    exit_b = desk.plan.plan.place("exit_b")
    assert exit_b is not None

    def visitor(touch: TouchScreen) -> None:
        assert until(lambda: touch.visible)
        click(window, touch, "Sign: off")
        finger(window, touch, "Station plan")
        panel = touch.panel
        assert panel is not None
        assert until(lambda: panel.mode == "plan" and panel.plan_image is not None
                     and panel.plan_image.shape[1::-1] == panel.plan_size())
        view = PlanView.fit(desk.plan.plan, panel.plan_size())  # type: ignore[union-attr]
        x, y = on_plan(touch, server, exit_b.centre)
        finger_at(window, x, y + view.marker_r() + view.slop * 0.7)  # below the marker
        assert until(lambda: len(server.kiosk.asked) == 1)
        assert until(lambda: panel.notice == "You asked: Where is Exit B?")

    run_display(server, window, visitor, BIG)
    assert server.kiosk.asked == [Question("Where is Exit B?", "touch", True, language="en")]


def test_a_typed_question_gets_its_reply_in_large_text(server: Server, window: Any) -> None:
    server.kiosk.answers["exit?"] = "There are six exits, A to F."

    def visitor(touch: TouchScreen) -> None:
        assert until(lambda: touch.visible)
        click(window, touch, "Type a question")
        panel = touch.panel
        assert panel is not None
        assert until(lambda: panel.mode == "keyboard")
        for key in ("e", "x", "i", "t", "?", "Ask"):
            click(window, touch, key)
        assert until(lambda: panel.mode == "reply"
                     and panel.reply == "There are six exits, A to F.")
        assert panel.notice == "You asked: exit?"

    run_display(server, window, visitor)
