"""The station plan on the touch screens: places matched with the geometry they are drawn
with, the question a place asks, the panel's plan and reply modes (no SDL, no HTTP)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from appliance.avatar.answer_map import INK, PlanView, draw_plan
from appliance.avatar.touch.panel import (
    PLAN_HINT,
    REPLY_MAX_PX_1080,
    REPLY_MIN_PX_1080,
    Asked,
    PlanPress,
    TouchPanel,
)
from appliance.avatar.touch.plan import PlanTouch, check_size, place_question
from appliance.errors import InputError
from appliance.sitepack import SitePack, bundled_sitepack_dir, load_sitepack
from appliance.sitepack.maps import StationPlan, load_maps
from appliance.sitepack.model import Suggestion

KIOSK = (1080, 1920)
SIZES = [(1048, 452), (704, 422), (262, 113), (1408, 845)]
OFF = (250.0, 470.0)
"""A plan point on no place (between Exit B and the ticket machines)."""


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


@pytest.fixture(scope="module")
def plan(pack: SitePack) -> StationPlan:
    got = load_maps(pack).plan
    assert got is not None
    return got


@pytest.mark.parametrize("size", SIZES)
def test_every_place_is_touched_where_it_is_drawn(plan: StationPlan,
                                                  size: tuple[int, int]) -> None:
    view = PlanView.fit(plan, size)
    drawn = np.asarray(draw_plan(plan, size).convert("RGB")).astype(int)
    assert drawn.shape[:2] == (size[1], size[0])
    for place in plan.places:
        assert view.place_at(*view.at(place.centre)) == place
        x0, y0, x1, y1 = view.footprint(place)
        if place.box is not None:  # its corners, as drawn, are the touch target's
            assert view.place_at(x0 + 1, y0 + 1) == place
            assert view.place_at(x1 - 1, y1 - 1) == place
            patch = drawn[round(y0) - 1:round(y0) + 2, round(x0) - 1:round(x0) + 2]
            assert (np.abs(patch - np.array(INK)).max(axis=2) < 90).any(), place.id
    assert view.place_at(*view.at(OFF)) is None


def test_a_fingertip_beside_a_place_still_touches_it(plan: StationPlan) -> None:
    view = PlanView.fit(plan, (1048, 452))
    lift = plan.place("lift")
    exit_a = plan.place("exit_a")
    assert lift is not None and exit_a is not None
    _x0, _y0, x1, y1 = view.footprint(lift)
    assert view.slop >= 24  # about 7 mm on the kiosk's screen
    assert view.place_at(x1 + view.slop * 0.8, y1) == lift
    assert view.place_at(x1 + view.slop * 1.2, view.at(lift.centre)[1]) is None
    cx, cy = view.at(exit_a.centre)
    below = cy + view.marker_r() + view.slop * 0.8
    assert view.place_at(cx, below) == exit_a


def test_a_touch_between_two_places_goes_to_the_nearer(plan: StationPlan) -> None:
    view = PlanView.fit(plan, (1048, 452))
    lift, service = plan.place("lift"), plan.place("customer_service")
    assert lift is not None and service is not None
    lx0 = view.footprint(lift)[0]
    _x0, _y0, sx1, y1 = view.footprint(service)
    gap_y = y1 - 5
    assert view.place_at(sx1 + (lx0 - sx1) * 0.3, gap_y) == service
    assert view.place_at(sx1 + (lx0 - sx1) * 0.7, gap_y) == lift


def test_the_question_a_place_asks(pack: SitePack, plan: StationPlan) -> None:
    exit_a, lift, coffee = plan.place("exit_a"), plan.place("lift"), plan.place("coffee")
    assert exit_a is not None and lift is not None and coffee is not None
    assert place_question(pack, exit_a) == "Where is Exit A?"
    assert place_question(pack, lift) == "Where is the lift?"  # its ask: in map.yaml
    assert place_question(pack, dataclasses.replace(coffee, ask="")) == \
        "Where is the Coffee / ATM?"
    touch = PlanTouch.from_pack(pack)
    assert touch is not None
    view = PlanView.fit(plan, (704, 422))
    got = touch.touched(*view.at(exit_a.centre), (704, 422))
    assert got is not None and (got.place, got.question) == (exit_a, "Where is Exit A?")
    assert touch.touched(*view.at(OFF), (704, 422)) is None


def test_the_plan_is_drawn_at_the_size_a_screen_asks_for(pack: SitePack) -> None:
    import cv2

    touch = PlanTouch.from_pack(pack)
    assert touch is not None
    png = touch.png((300, 180))
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (180, 300, 3)
    assert touch.png((300, 180)) is png  # drawn once per size
    for bad in [(10, 180), (300, 5000), (300.5, 180), (True, 180), ("300", 180)]:
        with pytest.raises(InputError):
            check_size(*bad)


# --- the panel of ``kiosk display`` ----------------------------------------------------------

def press(panel: TouchPanel, label: str) -> Asked | PlanPress | None:
    button = next(b for b in panel.buttons() if b.label == label)
    return panel.press(*button.centre)


def test_the_panel_shows_the_plan_and_sends_a_touch_on_it(plan: StationPlan) -> None:
    panel = TouchPanel(KIOSK, [Suggestion("Toilets", "Where are the toilets?")], plan=True)
    assert press(panel, "Station plan") is None
    assert panel.mode == "plan" and panel.notice == PLAN_HINT
    bx, by, bw, bh = panel.body_box()
    assert panel.press(bx + 100, by + 100) is None  # nothing shown yet: nothing sent
    panel.plan_image = np.zeros((bh, bw, 3), np.uint8)
    lift = plan.place("lift")
    assert lift is not None
    px, py = PlanView.fit(plan, panel.plan_size()).at(lift.centre)
    got = panel.press(bx + px, by + py)
    assert isinstance(got, PlanPress) and (got.size, got.sign) == ((bw, bh), False)
    assert (got.x, got.y) == pytest.approx((px, py))
    assert press(panel, "Sign: off") is None
    assert panel.press(bx + 5, by + 5) == PlanPress(5, 5, (bw, bh), sign=True)
    assert press(panel, "Back") is None and panel.mode == "suggest"
    # a panel without a plan has no plan button
    assert all(b.label != "Station plan" for b in TouchPanel(KIOSK).buttons())


@pytest.mark.parametrize("size", [KIOSK, (540, 960), (270, 480)])
@pytest.mark.parametrize("mode", ["suggest", "plan", "reply"])
def test_plan_and_reply_buttons_fit_without_overlapping(size: tuple[int, int],
                                                        mode: str) -> None:
    panel = TouchPanel(size, [Suggestion(f"B{i}", f"Q{i}?") for i in range(8)], plan=True)
    panel.mode = mode
    buttons = panel.buttons()
    _bx, by, _bw, bh = panel.body_box()
    for b in buttons:
        assert panel.top <= b.y and b.y + b.h <= size[1] and b.x >= 0 and b.x + b.w <= size[0]
        if mode != "suggest":  # the bottom row is below the plan / the reply
            assert b.y >= by + bh
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            assert not (a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h
                        and b.y < a.y + a.h), (a, b)
    assert all(panel.hit(*b.centre) == b for b in buttons)
    if size == KIOSK:
        assert min(b.h for b in buttons) >= 70 and min(b.w for b in buttons) >= 90


SHORT = "Lifts to the street are at Exit A and Exit D."
LONG = " ".join(["The lift to all platforms is just past the wide ticket gate on the left."] * 12)


def test_the_reply_is_shown_in_large_text() -> None:
    panel = TouchPanel(KIOSK, plan=True)
    before = panel.draw().copy()
    panel.show_reply("Where is the lift?", SHORT)
    assert panel.mode == "reply" and panel.notice == "You asked: Where is the lift?"
    drawn = panel.draw()
    assert panel.reply_px == REPLY_MAX_PX_1080  # 64 px: more than twice the 24 legible at 2 m
    bx, by, bw, bh = panel.body_box()
    body = drawn[by - panel.top:by - panel.top + bh, bx:bx + bw]
    assert (body.min(axis=2) > 200).any()  # light text on the reply's dark box
    assert not np.array_equal(drawn, before)
    panel.show_reply("Where is the lift?", LONG)
    panel.draw()
    assert REPLY_MIN_PX_1080 <= panel.reply_px < REPLY_MAX_PX_1080  # shrunk, still large
    assert press(panel, "Ask another") is None and panel.mode == "suggest"
    assert press(panel, "Station plan") is None and panel.mode == "plan"


def test_a_reply_in_chinese_wraps_per_character() -> None:
    panel = TouchPanel(KIOSK)
    panel.show_reply("", "电梯在A出口和D出口。" * 20, "zh")
    panel.draw()
    assert REPLY_MIN_PX_1080 <= panel.reply_px <= REPLY_MAX_PX_1080
    assert panel.notice == ""
