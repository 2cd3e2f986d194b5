"""Answers that show: a route drawn on the network map for every pair of lines, a place
highlighted on the station plan, and the structure carried from the QA to the avatar."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from appliance.avatar.answer_map import (
    HERE,
    HIGHLIGHT,
    INK,
    PAPER,
    AnswerMaps,
    draw_place,
    draw_route,
    line_colour,
)
from appliance.avatar.layout import layout_for
from appliance.avatar.output import AvatarOutput
from appliance.avatar.scene import Scene
from appliance.engines.nlu.base import NluResult
from appliance.engines.qa.base import DialogContext
from appliance.engines.qa.site_qa import SiteQa
from appliance.frames import Reply, Show
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from appliance.sitepack import network as net
from appliance.sitepack.maps import load_maps
from appliance.sitepack.model import SitePack


@pytest.fixture(scope="module")
def pack() -> SitePack:
    return load_sitepack(bundled_sitepack_dir())


def card_size() -> tuple[int, int]:
    _x, _y, w, h = layout_for(1080, 1920).media
    border = max(4, w // 90)
    return w - 2 * border, h - 2 * border


def near(img: np.ndarray, p: tuple[float, float], colour: tuple[int, int, int],
         r: int = 4, tol: int = 40) -> bool:
    """Some pixel within ``r`` of ``p`` is ``colour`` (RGB, within ``tol`` per channel)."""
    x, y = round(p[0]), round(p[1])
    patch = img[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].astype(int)
    return bool((np.abs(patch - np.array(colour)).max(axis=2) <= tol).any())


def line_pairs(pack: SitePack) -> list[tuple[str, str, str, str]]:
    """For every pair of lines: a journey from a station only on the first to one only
    on the second (so the route rides both), as (line a, line b, origin, destination)."""
    on: dict[str, set[str]] = {}
    for ln in pack.network.lines:
        for s in ln.stations:
            on.setdefault(s, set()).add(ln.id)
    pairs = []
    for a, b in itertools.combinations([ln.id for ln in pack.network.lines], 2):
        la, lb = pack.network.line(a), pack.network.line(b)
        assert la is not None and lb is not None
        origin = next(s for s in la.stations if on[s] == {a})
        dest = next(s for s in reversed(lb.stations) if on[s] == {b})
        pairs.append((a, b, origin, dest))
    return pairs


def test_metro_demo_has_every_pair_of_lines(pack: SitePack) -> None:
    n = len(pack.network.lines)
    assert len(line_pairs(pack)) == n * (n - 1) // 2 == 6


@pytest.mark.parametrize("pair", range(6))
def test_route_is_drawn_for_every_pair_of_lines(pack: SitePack, pair: int,
                                                tmp_path: Path) -> None:
    a, b, origin, dest = line_pairs(pack)[pair]
    route = net.plan_route(pack, origin, dest)
    assert route is not None
    show = net.route_show(pack, route)
    assert {leg.line for leg in show.legs} >= {a, b}
    drawn = draw_route(pack, load_maps(pack), show, card_size())
    img = np.asarray(drawn.image.convert("RGB"))
    assert img.shape[:2] == card_size()[::-1]
    for leg in show.legs:
        colour = line_colour(pack.network.line(leg.line).colour)  # type: ignore[union-attr]
        # the line's colour between each pair of stations it rides (a label may cover a
        # few: most of them must show it)
        mids = [((drawn.points[s][0] + drawn.points[t][0]) / 2,
                 (drawn.points[s][1] + drawn.points[t][1]) / 2)
                for s, t in itertools.pairwise(leg.stations)]
        shown = sum(near(img, m, colour) for m in mids)
        assert shown >= max(1, len(mids) - 1), (leg.line, shown, len(mids))
    assert show.changes
    for s in show.changes:
        x, y = drawn.points[s]
        ring = drawn.change_radius
        # the change ring: dark edge at its radius, paper inside it, a dark centre
        assert near(img, (x + ring - 1, y), INK, r=3)
        assert near(img, (x + ring * 0.7, y), PAPER, r=2, tol=25)
        # a dark centre; the kiosk's own station has "you are here" there instead
        assert near(img, (x, y), HERE if s == pack.manifest.station else INK, r=2)
    here = pack.manifest.station
    assert near(img, drawn.points[here], HERE, r=3)  # you are here
    assert near(img, drawn.points[dest], INK, r=3)  # the destination's dot
    drawn.image.save(tmp_path / f"{a}-{b}.png")


def test_place_is_highlighted_with_you_are_here(pack: SitePack) -> None:
    plan = load_maps(pack).plan
    assert plan is not None
    toilets = plan.for_intent("find_toilet")
    assert toilets is not None and toilets.box is not None
    size = card_size()
    img = np.asarray(draw_place(pack, plan, toilets.id, size).convert("RGB"))  # type: ignore[union-attr]
    # the plan is fitted under the title, centred: find the toilets' box centre
    top = round(size[0] * 28 / 1015) + 26
    k = min(size[0] / plan.size[0], (size[1] - top) / plan.size[1])
    ox, oy = (size[0] - plan.size[0] * k) / 2, top + (size[1] - top - plan.size[1] * k) / 2
    x0, y0, _x1, _y1 = toilets.box
    inside = (ox + (x0 + 8) * k, oy + (y0 + 8) * k)
    assert near(img, inside, HIGHLIGHT, r=2, tol=20)
    yah = (ox + plan.you_are_here[0] * k, oy + plan.you_are_here[1] * k)
    assert near(img, yah, HERE, r=2)
    lift = plan.for_intent("find_elevator")
    assert lift is not None and lift.box is not None
    other = (ox + (lift.box[0] + 8) * k, oy + (lift.box[1] + 8) * k)
    assert not near(img, other, HIGHLIGHT, r=2, tol=20)  # only the place asked about
    assert draw_place(pack, plan, "no-such-place", size) is None


def test_route_answer_carries_what_to_draw(pack: SitePack) -> None:
    qa = SiteQa(pack)
    answer = qa.answer("zoo please", NluResult("route_planning", 0.9,
                                                            {"station": "zoo"}),
                       DialogContext())
    assert answer.source == "network:route"
    show = answer.show
    assert show is not None and show.kind == "route"
    assert [leg.line for leg in show.legs] == ["l3", "l4"]
    assert show.legs[0].stations[0] == pack.manifest.station
    assert show.legs[-1].stations[-1] == "zoo"
    assert show.changes == ["union_station"]


def test_exit_and_faq_answers_carry_their_place(pack: SitePack) -> None:
    qa = SiteQa(pack)
    exit_c = qa.answer("where is exit c", NluResult("find_exit", 0.9, {"exit": "c"}),
                       DialogContext())
    assert exit_c.show == Show(place="exit_c")
    toilets = qa.answer("where are the toilets", NluResult("find_toilet", 0.9, {}),
                        DialogContext())
    assert toilets.source.startswith("faq:")
    assert toilets.show == Show(place="toilets")


def test_avatar_draws_the_reply_it_is_given(pack: SitePack) -> None:
    scene = Scene((540, 960))
    out = AvatarOutput(scene, clock=lambda: 1.0)
    out.answer_maps = AnswerMaps(pack)
    route = net.plan_route(pack, pack.manifest.station, "zoo")
    assert route is not None
    out.handle(Reply("Take Line 3...", "route_planning", source="network:route",
                     show=net.route_show(pack, route)))
    card = scene._card
    assert card is not None
    img, _x, _y = card
    w, h = scene.media_size
    assert img.shape[:2] == (h + 2 * (img.shape[0] - h) // 2, w + 2 * (img.shape[1] - w) // 2)
    green = line_colour("green")[::-1]  # BGR
    assert (np.abs(img.astype(int) - np.array(green)).max(axis=2) < 30).any()
