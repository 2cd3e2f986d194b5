"""Draw the metro demo's maps (small PNGs) from its network and slots.

Every label is sized so the kiosk's answer card shows it at least ``SHOWN_PX`` tall
on a 1080-wide screen (legible at 2 m).

Run after changing the network: ``.venv/bin/python models/sitepacks/make_metro_media.py``.
Needs Pillow (a dev dependency); the kiosk itself only reads the PNGs.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import yaml
from PIL import Image, ImageDraw, ImageFont

PACK = Path(__file__).resolve().parent / "metro-demo"
COLOURS = {"red": (214, 40, 40), "blue": (30, 90, 200), "green": (30, 150, 70),
           "yellow": (230, 180, 0)}
INK, PAPER, GREY = (30, 30, 30), (250, 250, 246), (200, 200, 200)
W, H = 1200, 630
"""Every map's canvas: the aspect of the answer card on the kiosk's portrait screen."""
SHOWN_PX = 26
"""How tall (font px) a label is on a 1080-wide kiosk screen: legible at 2 m needs 24."""
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"


def label_px() -> int:
    """The font size that shows as ``SHOWN_PX`` once the card scales the map down."""
    from appliance.avatar.layout import layout_for

    _x, _y, mw, mh = layout_for(1080, 1920).media
    border = max(4, mw // 90)  # as Scene._media_card frames it
    k = min((mw - 2 * border) / W, (mh - 2 * border) / H)
    return math.ceil(SHOWN_PX / k)


def _font(bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(BOLD if bold else FONT, label_px())


def _label(d: ImageDraw.ImageDraw, xy: tuple[float, float], text: str,
           font: ImageFont.FreeTypeFont, fill: tuple[int, int, int] = INK,
           anchor: str = "la") -> None:
    """Text on a paper patch, so a line crossing it never garbles a letter."""
    box = d.textbbox(xy, text, font=font, anchor=anchor)
    shift = max(0, 6 - box[0]) - max(0, box[2] - (W - 6))  # never off the edge
    xy = (xy[0] + shift, xy[1])
    box = (box[0] + shift, box[1], box[2] + shift, box[3])
    d.rectangle((box[0] - 3, box[1] - 2, box[2] + 3, box[3] + 2), fill=PAPER)
    d.text(xy, text, fill=fill, font=font, anchor=anchor)


def _save(img: Image.Image, name: str) -> None:
    out = PACK / "media" / name
    img.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def network_map() -> None:
    net = yaml.safe_load((PACK / "network.yaml").read_text())
    slots = yaml.safe_load((PACK / "slots.yaml").read_text())["slots"]
    names = {v["id"]: v["name"] for v in slots["station"]}
    img = Image.new("RGB", (W, H), PAPER)
    d = ImageDraw.Draw(img)
    cx, cy, sx, sy = 600, 300, 128, 72
    # hand-laid schematic: each line runs through Central Square in its own direction
    layout = {"l1": (1, 0), "l2": (0, 1), "l3": (1, 1)}
    pos: dict[str, tuple[int, int]] = {}
    for line in net["lines"]:
        if line["line"] not in layout:
            continue
        sts = line["stations"]
        k = sts.index("central_square")
        dx, dy = layout[line["line"]]
        for i, st in enumerate(sts):
            pos.setdefault(st, (cx + (i - k) * sx * dx, cy + (i - k) * sy * dy))
    l4 = next(ln for ln in net["lines"] if ln["line"] == "l4")
    ox, oy = pos[l4["stations"][0]]
    ux, uy = pos["union_station"]
    for i, st in enumerate(l4["stations"]):
        if st not in pos:  # Chinatown below Old Town, then on to the right of Union Station
            pos[st] = (ox - sx // 2, oy + sy * 3 // 2) if i < 2 else (ux + sx * (i - 2), uy)
    font, bold = _font(), _font(bold=True)
    for line in net["lines"]:
        pts = [pos[s] for s in line["stations"]]
        d.line(pts, fill=COLOURS[line["colour"]], width=9, joint="curve")
    green = next(ln for ln in net["lines"] if ln["line"] == "l3")["stations"]
    left = set(green[: green.index("central_square")]) | {"chinatown", "city_hall",
                                                          "greenfield"}
    # where a label would sit on a neighbour, it goes above or below instead
    above, below_ = {"medical_centre", "central_square"}, {"zoo"}
    red = next(ln for ln in net["lines"] if ln["line"] == "l1")["stations"]
    for st, (x, y) in pos.items():
        r = 11 if st == "central_square" else 7
        d.ellipse((x - r, y - r, x + r, y + r), fill="white", outline=INK, width=3)
    for st, (x, y) in pos.items():
        if st == "central_square":
            _label(d, (x, y - 16), names[st], bold, anchor="mb")
        elif st == "union_station":
            _label(d, (x, y + 16), names[st], font, anchor="mt")
        elif st in above or st in below_:
            _label(d, (x, y - 14) if st in above else (x, y + 14), names[st], font,
                   anchor="mb" if st in above else "mt")
        elif st in red:  # horizontal line: labels alternate above and below
            below = red.index(st) % 2 == 1
            _label(d, (x, y + 14 if below else y - 14), names[st], font,
                   anchor="mt" if below else "mb")
        elif st in left:
            _label(d, (x - 14, y), names[st], font, anchor="rm")
        else:
            _label(d, (x + 14, y), names[st], font, anchor="lm")
    _label(d, (W - 12, 10), "Harbour City Metro", bold, anchor="ra")
    for i, line in enumerate(net["lines"]):
        y = H - 12 - (len(net["lines"]) - i) * 38
        d.rectangle((12, y + 8, 44, y + 26), fill=COLOURS[line["colour"]])
        _label(d, (54, y), f"Line {i + 1}", font)
    _save(img, "network-map.png")


def station_map() -> None:
    img = Image.new("RGB", (W, H), PAPER)
    d = ImageDraw.Draw(img)
    font, bold = _font(), _font(bold=True)
    d.rectangle((60, 70, 1140, 590), outline=INK, width=4)
    _label(d, (600, 14), "Central Square - concourse", bold, anchor="ma")
    d.rectangle((470, 300, 730, 336), fill=GREY, outline=INK, width=2)
    _label(d, (600, 318), "TICKET GATES", font, anchor="mm")
    boxes = [((480, 440, 720, 510), "Ticket machines"), ((110, 150, 370, 230), "Customer Service"),
             ((800, 150, 1060, 230), "Toilets"), ((420, 150, 560, 230), "Lift"),
             ((800, 450, 1060, 530), "Coffee / ATM")]
    for box, label in boxes:
        d.rectangle(box, outline=INK, width=3)
        _label(d, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), label, font, anchor="mm")
    exits = {"A": (60, 130), "B": (60, 400), "C": (1140, 260), "D": (1140, 500),
             "E": (600, 590), "F": (600, 70)}
    for name, (x, y) in exits.items():
        d.ellipse((x - 24, y - 24, x + 24, y + 24), fill=(250, 200, 0), outline=INK, width=3)
        d.text((x, y), name, fill=INK, font=bold, anchor="mm")
    d.ellipse((588, 366, 612, 390), fill=(214, 40, 40))
    _label(d, (624, 378), "YOU ARE HERE", bold, fill=(214, 40, 40), anchor="lm")
    _save(img, "central-square-map.png")


def exits_map() -> None:
    slots = yaml.safe_load((PACK / "slots.yaml").read_text())["slots"]
    img = Image.new("RGB", (W, H), PAPER)
    d = ImageDraw.Draw(img)
    font, bold = _font(), _font(bold=True)
    _label(d, (20, 8), "Central Square - exits", bold)
    row = (H - 56) // len(slots["exit"])
    for i, ex in enumerate(slots["exit"]):
        y = 56 + row * i
        d.ellipse((20, y + 8, 72, y + 60), fill=(250, 200, 0), outline=INK, width=3)
        d.text((46, y + 34), ex["id"].upper(), fill=INK, font=bold, anchor="mm")
        step = "step free" if ex.get("step_free") else "stairs/escalator"
        _label(d, (90, y + 34), f"{ex['name']}  ({step})", font, anchor="lm")
    _save(img, "exits-map.png")


def main() -> int:
    (PACK / "media").mkdir(exist_ok=True)
    network_map()
    station_map()
    exits_map()
    return 0


if __name__ == "__main__":
    sys.exit(main())
