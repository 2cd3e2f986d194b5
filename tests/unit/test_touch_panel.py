"""The touch panel of ``kiosk display``: its keyboard, layout and hit-testing (no SDL)."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.avatar.touch.keyboard import ASK, DELETE, SPACE, TextLine
from appliance.avatar.touch.panel import IDLE_RESET_S, MAX_SUGGESTIONS, Asked, Button, TouchPanel
from appliance.sitepack.model import Suggestion

KIOSK = (1080, 1920)
SUGGESTIONS = [Suggestion(f"Button {i}", f"Question {i}?") for i in range(MAX_SUGGESTIONS)]


def press(panel: TouchPanel, label: str) -> Asked | None:
    button = next(b for b in panel.buttons() if b.label == label)
    return panel.press(*button.centre)


def type_text(panel: TouchPanel, text: str) -> None:
    for ch in text:
        assert press(panel, "Space" if ch == " " else ch) is None


def test_the_text_line_types_deletes_and_asks() -> None:
    line = TextLine(max_chars=6)
    for key in ("w", "h", DELETE, "i", SPACE, SPACE, "x", "y", "z", "q"):
        assert line.press(key) is None
    assert line.text == "wi xyz"  # one space kept, the 7th character refused
    assert line.press(ASK) == "wi xyz"
    assert TextLine().press(SPACE) is None and TextLine().text == ""


def test_a_suggestion_button_asks_its_question_as_a_touch() -> None:
    panel = TouchPanel(KIOSK, SUGGESTIONS)
    assert press(panel, "Button 5") == Asked("Question 5?", "touch")
    assert press(panel, "Sign: off") is None
    assert press(panel, "Button 0") == Asked("Question 0?", "touch", sign=True)


def test_the_keyboard_line_is_asked_as_text() -> None:
    panel = TouchPanel(KIOSK, SUGGESTIONS)
    assert press(panel, "Type a question") is None and panel.mode == "keyboard"
    type_text(panel, "where's the lift?")
    assert press(panel, "Delete") is None
    assert press(panel, "Ask") == Asked("where's the lift", "text")
    assert press(panel, "Back") is None and panel.mode == "suggest"


def test_touches_off_the_buttons_do_nothing() -> None:
    panel = TouchPanel(KIOSK, SUGGESTIONS)
    assert panel.press(540, 500) is None  # on the avatar
    m = 16  # the margin: between two buttons
    first = panel.buttons()[0]
    assert panel.press(first.x + first.w + m // 2, first.centre[1]) is None
    assert panel.mode == "suggest" and panel.line.text == ""


@pytest.mark.parametrize("size", [KIOSK, (540, 960), (270, 480)])
@pytest.mark.parametrize("mode", ["suggest", "keyboard"])
def test_buttons_fit_the_panel_without_overlapping(size: tuple[int, int], mode: str) -> None:
    panel = TouchPanel(size, SUGGESTIONS)
    panel.mode = mode
    buttons = panel.buttons()
    for b in buttons:
        assert panel.top <= b.y and b.y + b.h <= size[1] and b.x >= 0 and b.x + b.w <= size[0]
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            assert not overlaps(a, b), (a, b)
    # every button is found where it is drawn
    assert all(panel.hit(*b.centre) == b for b in buttons)


def overlaps(a: Button, b: Button) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def test_at_1080x1920_every_target_is_large_enough_to_touch() -> None:
    panel = TouchPanel(KIOSK, SUGGESTIONS)
    sizes = []
    for mode in ("suggest", "keyboard"):
        panel.mode = mode
        sizes += [(b.w, b.h) for b in panel.buttons()]
    # about 2 cm on a 24" portrait screen (0.28 mm a pixel); 9 mm is the usual minimum
    assert min(h for _w, h in sizes) >= 70 and min(w for w, _h in sizes) >= 90


def test_the_screen_keeps_the_whole_avatar_above_the_panel() -> None:
    panel = TouchPanel(KIOSK, SUGGESTIONS[:2])
    frame = np.full((KIOSK[1], KIOSK[0], 3), 200, np.uint8)
    frame[-40:] = (0, 0, 255)  # the frame's bottom rows (the subtitles' place)
    screen = panel.compose(frame)
    assert screen.shape == frame.shape
    above = screen[: panel.top]
    red = (above[:, :, 2] > 200) & (above[:, :, 0] < 60)
    assert red.any()  # still on screen, above the panel
    assert not np.array_equal(screen[panel.top:], frame[panel.top:])  # the panel is drawn
    panel.notice = "Please type a question first."
    again = panel.compose(frame)
    assert not np.array_equal(again[panel.top:], screen[panel.top:])  # the notice shows


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_idle_panel_forgets_the_last_visitor() -> None:
    clock = Clock()
    panel = TouchPanel(KIOSK, SUGGESTIONS, clock=clock)
    panel.show_reply("where's the lift", "The lift is past exit B.")
    clock.now += IDLE_RESET_S - 1
    assert not panel.forget_if_idle() and panel.mode == "reply"
    clock.now += 1
    assert panel.forget_if_idle()
    assert (panel.mode, panel.reply, panel.notice) == ("suggest", "", "")
    assert not panel.forget_if_idle()  # nothing left to forget


def test_a_visitor_still_typing_is_not_reset() -> None:
    clock = Clock()
    panel = TouchPanel(KIOSK, SUGGESTIONS, clock=clock)
    press(panel, "Type a question")
    for _ in range(3):  # a key every 40 s keeps it
        clock.now += 40
        type_text(panel, "w")
        assert not panel.forget_if_idle()
    clock.now += IDLE_RESET_S
    assert panel.forget_if_idle() and panel.line.text == "" and panel.mode == "suggest"
