"""Draw the metro demo's maps (small PNGs) from its network and slots.

Run after changing the network: ``python models/sitepacks/make_metro_media.py``.
Needs Pillow (a dev dependency); the kiosk itself only reads the PNGs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from PIL import Image, ImageDraw, ImageFont

PACK = Path(__file__).resolve().parent / "metro-demo"
COLOURS = {"red": (214, 40, 40), "blue": (30, 90, 200), "green": (30, 150, 70),
           "yellow": (230, 180, 0)}
INK, PAPER, GREY = (30, 30, 30), (250, 250, 246), (200, 200, 200)


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def _save(img: Image.Image, name: str) -> None:
    out = PACK / "media" / name
    img.convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


def network_map() -> None:
    net = yaml.safe_load((PACK / "network.yaml").read_text())
    slots = yaml.safe_load((PACK / "slots.yaml").read_text())["slots"]
    names = {v["id"]: v["name"] for v in slots["station"]}
    w, h = 640, 480
    img = Image.new("RGB", (w, h), PAPER)
    d = ImageDraw.Draw(img)
    cx, cy, step = 320, 240, 48
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
            pos.setdefault(st, (cx + (i - k) * step * dx, cy + (i - k) * step * dy))
    l4 = next(ln for ln in net["lines"] if ln["line"] == "l4")
    ox, _ = pos[l4["stations"][0]]
    ux, uy = pos["union_station"]
    for i, st in enumerate(l4["stations"]):
        if st not in pos:  # Chinatown below Old Town, then straight down from Union Station
            pos[st] = (ox, uy - 36) if i < 2 else (ux, uy + 50 * (i - 2))
    font = _font()
    for line in net["lines"]:
        pts = [pos[s] for s in line["stations"]]
        d.line(pts, fill=COLOURS[line["colour"]], width=7, joint="curve")
    green = next(ln for ln in net["lines"] if ln["line"] == "l3")["stations"]
    left = set(green[: green.index("central_square")]) | {"medical_centre", "zoo"}
    red = next(ln for ln in net["lines"] if ln["line"] == "l1")["stations"]
    for st, (x, y) in pos.items():
        r = 8 if st == "central_square" else 5
        d.ellipse((x - r, y - r, x + r, y + r), fill="white", outline=INK, width=2)
        if st in red:  # horizontal line: labels alternate above and below
            below = red.index(st) % 2 == 1
            d.text((x - 20, y + 10 if below else y - 22), names[st], fill=INK, font=font)
        elif st in left:
            width = d.textlength(names[st], font=font)
            d.text((x - 9 - width, y - 6), names[st], fill=INK, font=font)
        else:
            d.text((x + 9, y - 12), names[st], fill=INK, font=font)
    d.text((10, 10), "Harbour City Metro - network map", fill=INK, font=font)
    for i, line in enumerate(net["lines"]):
        d.rectangle((10, 30 + 16 * i, 30, 40 + 16 * i), fill=COLOURS[line["colour"]])
        d.text((36, 28 + 16 * i), f"Line {i + 1} ({line['colour']})", fill=INK, font=font)
    _save(img, "network-map.png")


def station_map() -> None:
    w, h = 640, 400
    img = Image.new("RGB", (w, h), PAPER)
    d = ImageDraw.Draw(img)
    font = _font()
    d.rectangle((40, 60, 600, 340), outline=INK, width=3)
    d.text((50, 20), "Central Square - concourse", fill=INK, font=font)
    d.rectangle((250, 180, 390, 200), fill=GREY, outline=INK)
    d.text((270, 184), "TICKET GATES", fill=INK, font=font)
    boxes = [((260, 260, 380, 300), "ticket machines"), ((60, 120, 170, 170), "Customer Service"),
             ((420, 120, 520, 170), "toilets (Exit C)"), ((200, 110, 240, 150), "LIFT"),
             ((440, 270, 560, 320), "coffee / ATM")]
    for box, label in boxes:
        d.rectangle(box, outline=INK, width=2)
        d.text((box[0] + 4, box[1] + 4), label, fill=INK, font=font)
    exits = {"A": (40, 90), "B": (40, 220), "C": (600, 150), "D": (600, 300), "E": (320, 340),
             "F": (320, 60)}
    for name, (x, y) in exits.items():
        d.ellipse((x - 14, y - 14, x + 14, y + 14), fill=(250, 200, 0), outline=INK, width=2)
        d.text((x - 4, y - 6), name, fill=INK, font=font)
    d.ellipse((300, 215, 316, 231), fill=(214, 40, 40))
    d.text((320, 216), "YOU ARE HERE", fill=(214, 40, 40), font=font)
    _save(img, "central-square-map.png")


def exits_map() -> None:
    slots = yaml.safe_load((PACK / "slots.yaml").read_text())["slots"]
    w, h = 640, 360
    img = Image.new("RGB", (w, h), PAPER)
    d = ImageDraw.Draw(img)
    font = _font()
    d.text((10, 10), "Central Square - exits and what is outside", fill=INK, font=font)
    for i, ex in enumerate(slots["exit"]):
        y = 40 + 50 * i
        d.ellipse((20, y, 56, y + 36), fill=(250, 200, 0), outline=INK, width=2)
        d.text((34, y + 12), ex["id"].upper(), fill=INK, font=font)
        d.text((70, y + 4), ex["name"], fill=INK, font=font)
        step = "step free" if ex.get("step_free") else "stairs/escalator"
        d.text((70, y + 20), step, fill=(90, 90, 90), font=font)
    _save(img, "exits-map.png")


def main() -> int:
    (PACK / "media").mkdir(exist_ok=True)
    network_map()
    station_map()
    exits_map()
    return 0


if __name__ == "__main__":
    sys.exit(main())
