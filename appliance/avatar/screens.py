"""Screens that are not a conversation: the attract loop, "out of service", "Starting...".

Their lines come from the site pack (:meth:`Manifest.screen_lines`, in the pack's
languages); these functions only draw them.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from appliance.avatar import draw as d
from appliance.avatar.fonts import load_font
from appliance.avatar.text2action import GestureCue
from appliance.sitepack.screens import ScreenLines

DEFAULT_LINES = ScreenLines.for_languages(("en",))
"""What the screens say when no site pack says otherwise (the display unit before it
knows the site, tests): English only, never a language the site did not ask for."""


def attract_gestures() -> list[GestureCue]:
    """One friendly wave per attract cycle (times from the cycle's start)."""
    return [GestureCue("wave", 1.0, 1.5, 3.6, "hello")]


def _rgb(c: d.Color) -> tuple[int, int, int]:
    return (c[2], c[1], c[0])


def out_of_service_screen(width: int, height: int, reason: str = "",
                          lines: ScreenLines = DEFAULT_LINES) -> np.ndarray:
    """A calm, unmistakable "temporarily out of service" screen (BGR): the English
    headline (staff and technicians read it whatever the site) over the site's lines."""
    img = Image.new("RGB", (width, height), _rgb(d.PANEL))
    draw = ImageDraw.Draw(img)
    unit = min(width, height)
    cx, cy = width / 2, height * (0.3 if height >= width else 0.28)
    r = unit * 0.16
    tri = [(cx, cy - r), (cx + r * 1.1, cy + r * 0.8), (cx - r * 1.1, cy + r * 0.8)]
    draw.polygon(tri, fill=_rgb(d.ACCENT))
    bar_w = r * 0.16
    draw.rounded_rectangle((cx - bar_w / 2, cy - r * 0.45, cx + bar_w / 2, cy + r * 0.3),
                           radius=bar_w / 2, fill=_rgb(d.PANEL))
    draw.ellipse((cx - bar_w * 0.6, cy + r * 0.45, cx + bar_w * 0.6, cy + r * 0.45 + bar_w * 1.2),
                 fill=_rgb(d.PANEL))
    y = cy + r * 1.3
    big = load_font(int(unit * 0.065), "en", bold=True)
    for text in ("Temporarily", "out of service"):
        w = draw.textlength(text, font=big)
        draw.text(((width - w) / 2, y), text, font=big, fill=_rgb(d.TEXT))
        y += unit * 0.085
    y += unit * 0.02
    for lang, text in lines.out_of_service:
        font = load_font(int(unit * 0.034), lang)
        while draw.textlength(text, font=font) > width * 0.9 and len(text) > 4:
            text = text[:-2] + "…"
        w = draw.textlength(text, font=font)
        draw.text(((width - w) / 2, y), text, font=font, fill=_rgb(d.TEXT_DIM))
        y += unit * 0.06
    if reason:
        tiny = load_font(int(unit * 0.024), "en")
        code = f"code: {reason}"
        w = draw.textlength(code, font=tiny)
        draw.text(((width - w) / 2, height - unit * 0.08), code, font=tiny,
                  fill=_rgb(d.TEXT_DIM))
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def starting_screen(width: int, height: int, lines: ScreenLines = DEFAULT_LINES) -> np.ndarray:
    """"Starting..." (BGR): what the display shows until the avatar stream is there."""
    img = Image.new("RGB", (width, height), _rgb(d.PANEL))
    draw = ImageDraw.Draw(img)
    unit = min(width, height)
    cx, cy = width / 2, height * (0.32 if height >= width else 0.3)
    r = unit * 0.018
    for i in range(3):  # three calm dots
        x = cx + (i - 1) * r * 4
        draw.ellipse((x - r, cy - r, x + r, cy + r), fill=_rgb(d.ACCENT))
    y = cy + unit * 0.08
    big = load_font(int(unit * 0.065), "en", bold=True)
    w = draw.textlength("Starting…", font=big)
    draw.text(((width - w) / 2, y), "Starting…", font=big, fill=_rgb(d.TEXT))
    y += unit * 0.1
    for lang, text in lines.starting:
        font = load_font(int(unit * 0.034), lang)
        while draw.textlength(text, font=font) > width * 0.9 and len(text) > 4:
            text = text[:-2] + "…"
        w = draw.textlength(text, font=font)
        draw.text(((width - w) / 2, y), text, font=font, fill=_rgb(d.TEXT_DIM))
        y += unit * 0.06
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])
