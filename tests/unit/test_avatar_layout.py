"""Layout by pixels: the bottom safe margin stays empty, map labels are legible at 2 m."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import ImageFont

from appliance.avatar import draw as d
from appliance.avatar.fonts import FALLBACK_FONTS, glyph_bitmap
from appliance.avatar.layout import SAFE_BOTTOM
from appliance.avatar.scene import Scene
from appliance.sitepack import bundled_sitepack_dir

LONG = ("The next train to Northgate leaves from platform two in four minutes; after that "
        "one every six minutes until midnight, and the last train is at twenty past twelve.")
INK = np.array((30, 30, 30), np.int16)  # the demo maps' ink (grey, same in BGR)


@pytest.mark.parametrize("size", [(1080, 1920), (540, 960), (1920, 1080)])
def test_the_last_subtitle_line_keeps_off_the_bottom_edge(size: tuple[int, int]) -> None:
    scene = Scene(size)
    scene.speak(0.0, [], LONG, duration=12.0)
    safe = scene.layout.safe_bottom
    assert safe >= round(size[1] * SAFE_BOTTOM) > 0
    _x, y, _w, h = scene.layout.subtitles
    inked_to = 0
    for t in np.arange(0.0, 12.0, 0.5):  # every page, every highlighted word
        frame = scene.render(float(t))
        assert (frame[size[1] - safe :] == d.PANEL).all(), f"drawn in the safe margin at {t}"
        band = np.abs(frame[y : y + h].astype(np.int16) - np.array(d.PANEL)).sum(-1) > 40
        rows = np.nonzero(band.any(axis=1))[0]
        inked_to = max(inked_to, int(rows.max()) + y if len(rows) else 0)
    assert inked_to > y, "no subtitle drawn"
    assert size[1] - inked_to >= safe


def word_heights(card: np.ndarray) -> list[int]:
    """Heights of the words printed in ``card`` (glyphs of the ink colour, joined along
    the line): ascender to baseline or descender, a measure of the label's size."""
    ink = (np.abs(card.astype(np.int16) - INK).sum(-1) < 60).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    glyph = np.zeros_like(ink)
    for i in range(1, n):
        _x, _y, w, h, area = stats[i]
        if area >= 6 and w <= 80 and h <= 80:  # letters, not box outlines
            glyph[labels == i] = 1
    words = cv2.dilate(glyph, np.ones((1, 7), np.uint8))
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(words, connectivity=8)
    return [int(h) for _x, _y, w, h, _a in stats[1:] if w >= 2 * h and h >= 6]


@pytest.mark.parametrize("image", ["network-map.png", "central-square-map.png", "exits-map.png"])
def test_map_labels_are_legible_at_two_metres(image: str) -> None:
    scene = Scene((1080, 1920))
    scene.show_media(bundled_sitepack_dir() / "media" / image)
    x, y, w, h = scene.layout.media
    card = scene.render(1.0)[y : y + h, x : x + w]
    heights = word_heights(card)
    assert len(heights) >= 8, f"too few labels found: {heights}"
    # a 24 px label: its capitals and ascenders are at least this tall on the screen
    cap = glyph_bitmap(ImageFont.truetype(FALLBACK_FONTS[False][0], 24), "H").shape[0]
    assert float(np.median(heights)) >= cap, (sorted(heights), cap)
