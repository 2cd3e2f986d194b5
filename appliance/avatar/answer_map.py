"""Answers that show: a route drawn on the network map, a place highlighted on the plan.

Drawn from the site pack's data (its network and ``map.yaml``, see
:mod:`appliance.sitepack.maps`) for the :class:`~appliance.frames.Show` an answer carries,
at the answer card's size, so nothing is scaled after drawing. Labels are at least
:data:`LABEL_SHOWN_PX` tall on a 1080-wide screen: legible at 2 m.

A route: the whole network pale, the route's lines over it in their colours with a dark
casing (a yellow line on paper still reads), every station passed as a dot, a ring at each
change, "You are here" at the kiosk's station and the destination in bold. A place: the
station plan with the place filled in a strong colour, a walking line from "You are here".
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from appliance.frames import Show
from appliance.sitepack.maps import Place, SiteMaps, StationPlan, load_maps
from appliance.sitepack.model import SitePack

logger = logging.getLogger(__name__)

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]

LABEL_SHOWN_PX = 28
"""Label height (font px) on a 1080-wide screen's card; legible at 2 m needs 24."""
LABEL_MIN_PX = 24
"""The least a label shrinks to fit its box (on a 1080-wide screen)."""
CARD_WIDTH_1080 = 1015
"""The answer card's inner width on a 1080x1920 screen (what the label size is set for)."""
SUPERSAMPLE = 2
"""Drawn this many times larger, then shrunk: smooth lines without an anti-aliasing API."""
LINE_COLOURS: dict[str, RGB] = {"red": (214, 40, 40), "blue": (30, 90, 200),
                                "green": (30, 150, 70), "yellow": (230, 180, 0)}
"""The pack's colour names as the printed maps draw them; others go through CSS names."""
INK: RGB = (30, 30, 30)
PAPER: RGB = (250, 250, 246)
PALE: RGB = (214, 214, 210)
HERE: RGB = (214, 40, 40)
HIGHLIGHT: RGB = (0, 110, 200)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"


def line_colour(name: str) -> RGB:
    """A line's colour from the pack's name for it (``red``, ``#1e5ac8``); grey if unknown."""
    if name in LINE_COLOURS:
        return LINE_COLOURS[name]
    try:
        r, g, b = ImageColor.getrgb(name)[:3]
        return (r, g, b)
    except ValueError:
        return (120, 120, 120)


def _font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(BOLD if bold else FONT, px)
    except OSError:  # no DejaVu on this machine: Pillow's own font, still scalable
        return ImageFont.load_default(px)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _Canvas:
    """A supersampled PIL drawing with labels that avoid each other and the route."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self.k = SUPERSAMPLE
        self.img = Image.new("RGB", (size[0] * self.k, size[1] * self.k), PAPER)
        self.d = ImageDraw.Draw(self.img)
        self.px = label_px(size[0])
        self.font, self.bold = _font(self.px * self.k), _font(self.px * self.k, bold=True)
        self.taken: list[Box] = []
        """Label boxes placed so far and things labels must not cover (output pixels)."""

    def s(self, *v: float) -> list[float]:
        """Output pixels -> supersampled ones."""
        return [x * self.k for x in v]

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.k, y * self.k)

    def line(self, pts: list[tuple[float, float]], fill: RGB, width: float) -> None:
        self.d.line([self.xy(*p) for p in pts], fill=fill, width=round(width * self.k),
                    joint="curve")
        for p in (pts[0], pts[-1]):  # round ends
            self.dot(p, width / 2, fill)

    def dot(self, p: tuple[float, float], r: float, fill: RGB, outline: RGB | None = None,
            width: float = 0) -> None:
        x, y = p
        self.d.ellipse(self.s(x - r, y - r, x + r, y + r), fill=fill, outline=outline,
                       width=round(width * self.k))

    def text_box(self, xy: tuple[float, float], text: str, bold: bool, anchor: str) -> Box:
        x0, y0, x1, y1 = self.d.textbbox(self.xy(*xy), text,
                                         font=self.bold if bold else self.font, anchor=anchor)
        pad = 4 * self.k
        return ((x0 - pad) / self.k, (y0 - pad) / self.k, (x1 + pad) / self.k, (y1 + pad) / self.k)

    def label(self, p: tuple[float, float], text: str, gap: float, bold: bool = False,
              fill: RGB = INK, must: bool = True) -> Box | None:
        """Put ``text`` beside point ``p``, where it covers no other label nor the route
        (right, left, above, below, then the corners); a ``must`` label goes in the first
        place that stays on the canvas even when all are crowded."""
        x, y = p
        spots = [((x + gap, y), "lm"), ((x - gap, y), "rm"), ((x, y - gap), "mb"),
                 ((x, y + gap), "mt"), ((x + gap * 0.7, y - gap * 0.7), "lb"),
                 ((x + gap * 0.7, y + gap * 0.7), "lt"), ((x - gap * 0.7, y - gap * 0.7), "rb"),
                 ((x - gap * 0.7, y + gap * 0.7), "rt")]
        w, h = self.size
        inside = [(xy, a, b) for xy, a in spots
                  if (b := self.text_box(xy, text, bold, a))[0] >= 0 and b[1] >= 0
                  and b[2] <= w and b[3] <= h]
        free = [c for c in inside if not any(_overlaps(c[2], t) for t in self.taken)]
        if not free and not (must and inside):
            return None
        xy, anchor, box = (free or inside)[0]
        self.taken.append(box)
        self.d.rectangle(self.s(*box), fill=PAPER)  # a line crossing it never garbles a letter
        self.d.text(self.xy(*xy), text, fill=fill, anchor=anchor,
                    font=self.bold if bold else self.font)
        return box

    def fitted(self, text: str, width: float,
               bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        """The label font, smaller if ``text`` would overflow ``width`` (never below
        :data:`LABEL_MIN_PX` on a 1080-wide screen)."""
        font = self.bold if bold else self.font
        tw = self.d.textlength(text, font=font) / self.k
        if tw <= width:
            return font
        least = max(10, round(self.size[0] * LABEL_MIN_PX / CARD_WIDTH_1080))
        return _font(max(least, int(self.px * width / tw)) * self.k, bold)

    def chip(self, x: float, y: float, text: str, fill: RGB) -> float:
        """A coloured tag with ``text`` from (x, y) top-left; returns its right edge."""
        x0, y0, x1, y1 = self.d.textbbox(self.xy(x, y), text, font=self.bold, anchor="lt")
        pad = 8 * self.k
        self.d.rounded_rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), radius=pad,
                                 fill=fill, outline=INK, width=2 * self.k)
        dark = sum(fill) < 420
        self.d.text((x0, y0), text, font=self.bold, fill=PAPER if dark else INK, anchor="lt")
        return (x1 + pad) / self.k

    def image(self) -> Image.Image:
        return self.img.resize(self.size, Image.Resampling.LANCZOS)


@dataclass
class RouteMap:
    """A drawn route and where each station of the network landed (output pixels)."""

    image: Image.Image
    points: dict[str, tuple[float, float]]
    change_radius: float
    """The radius of the ring drawn at each change station."""


def draw_route(pack: SitePack, maps: SiteMaps, show: Show, size: tuple[int, int]) -> RouteMap:
    """The network map with the route of ``show`` drawn on it, ``size`` pixels."""
    c = _Canvas(size)
    w, h = size
    px = c.px
    names = {ln.id: pack.slot_name("line", ln.id).split(" (")[0] for ln in pack.network.lines}
    colours = {ln.id: line_colour(ln.colour) for ln in pack.network.lines}
    # the header says the route in words and colours: Line 1 > Central Square > Line 2
    x, top = 12.0, 12.0
    for i, leg in enumerate(show.legs):
        x = c.chip(x, top, names.get(leg.line, leg.line), colours.get(leg.line, PALE)) + 10
        if i < len(show.legs) - 1:
            words = f"change at {pack.slot_name('station', leg.stations[-1])}"
            c.d.text(c.xy(x, top), words, font=c.font, fill=INK, anchor="lt")
            x = c.text_box((x, top), words, False, "lt")[2] + 10
    header = top + px + 22
    # the whole network fitted below the header, with room for labels at the sides
    pos = maps.positions
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    mx, my = w * 0.17, px * 1.3  # a bold end label beside an edge station still fits
    area = (mx, header + my, w - mx, h - my)
    sx = (area[2] - area[0]) / max(1e-6, max(xs) - min(xs))
    sy = (area[3] - area[1]) / max(1e-6, max(ys) - min(ys))
    pts = {s: (area[0] + (p[0] - min(xs)) * sx, area[1] + (p[1] - min(ys)) * sy)
           for s, p in pos.items()}
    lw = max(4.0, px * 0.45)
    for ln in pack.network.lines:
        c.line([pts[s] for s in ln.stations if s in pts], PALE, lw * 0.6)
    for s in pts:
        c.dot(pts[s], lw * 0.45, PAPER, PALE, 2)
    route = [s for leg in show.legs for s in leg.stations if s in pts]
    for leg in show.legs:  # a dark casing first: every colour reads on paper
        c.line([pts[s] for s in leg.stations if s in pts], INK, lw + 4)
    for leg in show.legs:
        c.line([pts[s] for s in leg.stations if s in pts], colours.get(leg.line, INK), lw)
    # labels must not sit on the route: its stations and the segments between them
    for a, b in itertools.pairwise(route):
        (ax, ay), (bx, by) = pts[a], pts[b]
        for f in np.linspace(0, 1, 12):
            x_, y_ = ax + (bx - ax) * f, ay + (by - ay) * f
            c.taken.append((x_ - lw, y_ - lw, x_ + lw, y_ + lw))
    for s in route:
        c.dot(pts[s], lw * 0.75, PAPER, INK, 2.5)
    ring = lw * 1.9
    for s in show.changes:
        if s in pts:
            c.dot(pts[s], ring, PAPER, INK, 5)
            c.dot(pts[s], ring * 0.45, INK)
    here = pack.manifest.station
    if route:
        origin, dest = route[0], route[-1]
        c.dot(pts[dest], lw * 1.3, INK, PAPER, 3)
        if here in pts:
            c.dot(pts[here], lw * 1.3, HERE, PAPER, 3)
        gap = ring + 6
        if origin == here:
            c.label(pts[origin], "You are here", gap, bold=True, fill=HERE)
        else:
            c.label(pts[origin], f"From {pack.slot_name('station', origin)}", gap, bold=True)
            if here in pts:
                c.label(pts[here], "You are here", gap, bold=True, fill=HERE)
        c.label(pts[dest], pack.slot_name("station", dest), gap, bold=True)
        for s in show.changes:
            if s in pts:
                c.label(pts[s], pack.slot_name("station", s), gap, bold=True)
        for s in route[1:-1]:  # the stations passed, where there is room
            if s not in show.changes:
                c.label(pts[s], pack.slot_name("station", s), lw + 6, must=False)
    return RouteMap(c.image(), pts, ring)


@dataclass(frozen=True)
class PlanView:
    """Where the station plan lands in an image of ``size``: the one geometry the plan is
    drawn with (:func:`draw_place`, :func:`draw_plan`) and a touch on it is matched with
    (:meth:`place_at`), so a place is touched exactly where it is seen."""

    plan: StationPlan
    size: tuple[int, int]
    px: int
    """The label size (font px) at this image's width."""
    k: float
    """Output pixels per plan unit."""
    ox: float
    oy: float

    @classmethod
    def fit(cls, plan: StationPlan, size: tuple[int, int]) -> PlanView:
        """The plan fitted (aspect kept, centred) below a title line of ``size``."""
        w, h = size
        px = label_px(w)
        top = px + 26
        pw, ph = plan.size
        k = min(w / pw, (h - top) / ph)
        return cls(plan, size, px, k, (w - pw * k) / 2, top + (h - top - ph * k) / 2)

    def at(self, p: tuple[float, float]) -> tuple[float, float]:
        """A plan point in output pixels."""
        return (self.ox + p[0] * self.k, self.oy + p[1] * self.k)

    def marker_r(self, highlighted: bool = False) -> float:
        """The radius of a marker place (an exit) as drawn."""
        return self.px * (1.2 if highlighted else 0.85)

    def footprint(self, place: Place) -> Box:
        """The output pixels a place covers as drawn (not highlighted): its box, or its
        marker's square."""
        if place.box is not None:
            x0, y0 = self.at(place.box[:2])
            x1, y1 = self.at(place.box[2:])
            return (x0, y0, x1, y1)
        (cx, cy), r = self.at(place.centre), self.marker_r()
        return (cx - r, cy - r, cx + r, cy + r)

    def distance(self, place: Place, x: float, y: float) -> float:
        """How far (output pixels) point (x, y) is from the place as drawn; 0 on it."""
        if place.box is None:
            cx, cy = self.at(place.centre)
            return max(0.0, float(np.hypot(x - cx, y - cy)) - self.marker_r())
        x0, y0, x1, y1 = self.footprint(place)
        return float(np.hypot(max(x0 - x, 0.0, x - x1), max(y0 - y, 0.0, y - y1)))

    @property
    def slop(self) -> float:
        """How far outside a place a fingertip may land and still touch it: one label's
        height (28 px, about 8 mm, on the kiosk's 1080-wide screen)."""
        return float(self.px)

    def place_at(self, x: float, y: float, slop: float | None = None) -> Place | None:
        """The place a touch at output pixel (x, y) means: the one it lands on, else the
        nearest within ``slop`` (default :attr:`slop`); None when no place is that near."""
        reach = self.slop if slop is None else slop
        best: tuple[float, Place] | None = None
        for p in self.plan.places:
            d = self.distance(p, x, y)
            if d <= reach and (best is None or d < best[0]):
                best = (d, p)
        return best[1] if best is not None else None


def label_px(width: int) -> int:
    """The label size (font px) for a drawing ``width`` pixels wide."""
    return max(12, round(width * LABEL_SHOWN_PX / CARD_WIDTH_1080))


def _draw_plan(c: _Canvas, view: PlanView, title: str, target: Place | None) -> None:
    """The plan on ``c``: ``title``, the outline, every place (``target`` filled in, with a
    walking line from "You are here"), and "You are here"."""
    plan, at = view.plan, view.at
    c.d.text(c.xy(12, 10), title, font=c.bold, fill=HIGHLIGHT if target else INK, anchor="lt")
    if plan.outline is not None:
        x0, y0 = at(plan.outline[:2])
        x1, y1 = at(plan.outline[2:])
        c.d.rectangle(c.s(x0, y0, x1, y1), outline=INK, width=3 * c.k)
    yah = at(plan.you_are_here)
    if target is not None:
        tx, ty = at(target.centre)
        # the walk: a dashed line from here to the place
        n = max(2, int(np.hypot(tx - yah[0], ty - yah[1]) // 18))
        for i in range(0, n, 2):
            f0, f1 = i / n, min(1.0, (i + 1) / n)
            c.line([(yah[0] + (tx - yah[0]) * f0, yah[1] + (ty - yah[1]) * f0),
                    (yah[0] + (tx - yah[0]) * f1, yah[1] + (ty - yah[1]) * f1)], HIGHLIGHT, 6)
    for p in plan.places:
        mine = target is not None and p.id == target.id
        fill = HIGHLIGHT if mine else PAPER
        text = PAPER if mine else INK
        if p.box is not None:
            x0, y0, x1, y1 = view.footprint(p)
            grow = 6 if mine else 0
            c.d.rectangle(c.s(x0 - grow, y0 - grow, x1 + grow, y1 + grow), fill=fill,
                          outline=INK, width=(5 if mine else 2) * c.k)
            c.d.text(c.xy((x0 + x1) / 2, (y0 + y1) / 2), p.name, anchor="mm",
                     font=c.fitted(p.name, x1 - x0 - 8, mine), fill=text)
            c.taken.append((x0, y0, x1, y1))
        else:
            r = view.marker_r(mine)
            c.dot(at(p.centre), r, fill if mine else (250, 200, 0), INK, 5 if mine else 3)
            c.d.text(c.xy(*at(p.centre)), p.name, anchor="mm", font=c.bold, fill=text)
            cx, cy = at(p.centre)
            c.taken.append((cx - r, cy - r, cx + r, cy + r))
    c.dot(yah, c.px * 0.5, HERE, PAPER, 3)
    c.label(yah, "You are here", c.px * 0.5 + 8, bold=True, fill=HERE)


def draw_place(pack: SitePack, plan: StationPlan, place_id: str,
               size: tuple[int, int]) -> Image.Image | None:
    """The station plan with ``place_id`` highlighted and "You are here"; None if the plan
    has no such place."""
    target = plan.place(place_id)
    if target is None:
        return None
    c = _Canvas(size)
    title = pack.slot_name("exit", target.exit) if target.exit else target.name
    _draw_plan(c, PlanView.fit(plan, size), title, target)
    return c.image()


def draw_plan(plan: StationPlan, size: tuple[int, int]) -> Image.Image:
    """The whole station plan, no place highlighted (what the touch screens show to be
    touched; :meth:`PlanView.place_at` with the same ``size`` tells what was touched)."""
    c = _Canvas(size)
    _draw_plan(c, PlanView.fit(plan, size), plan.title, None)
    return c.image()


class AnswerMaps:
    """Draws what an answer shows, for one site pack (the avatar's half of :class:`Show`)."""

    def __init__(self, pack: SitePack, maps: SiteMaps | None = None) -> None:
        self.pack = pack
        self.maps = maps or load_maps(pack)

    def draw(self, show: Show, size: tuple[int, int]) -> np.ndarray | None:
        """A BGR image of ``size`` for ``show``, or None when there is nothing to draw
        (the answer's media picture is shown instead)."""
        img: Image.Image | None = None
        try:
            if show.kind == "route":
                img = draw_route(self.pack, self.maps, show, size).image
            elif show.kind == "place" and self.maps.plan is not None:
                img = draw_place(self.pack, self.maps.plan, show.place, size)
        except Exception:  # a bad map must not cost the visitor the answer
            logger.exception("cannot draw %s; showing the answer's picture", show)
            return None
        if img is None:
            return None
        return np.ascontiguousarray(np.asarray(img.convert("RGB"))[:, :, ::-1])
