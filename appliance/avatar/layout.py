"""Where things go on the screen, for any size and orientation.

Portrait (the common kiosk, 1080x1920): the avatar fills the upper stage, answer
media appears as a card below the face (the gesturing hand passes over it), and
subtitles sit in a band at the bottom. Landscape: the avatar stands on the left,
media beside it on the right, subtitles along the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

SAFE_BOTTOM = 0.04
"""The bottom safe margin as a share of the screen's height (TV "action safe" is 3.5%):
77 px on a 1920 px portrait screen."""

Rect = tuple[int, int, int, int]
"""x, y, width, height in pixels."""


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    scale: float
    """Avatar scale: 1.0 draws the head 380 px wide (1.15 on a 1080x1920 screen)."""
    head: tuple[float, float]
    """Head centre in pixels when at rest."""
    stage: Rect
    """The avatar's area (the background gradient covers it)."""
    media: Rect
    """Where an answer image is shown."""
    subtitles: Rect
    """The band with the spoken text (word-highlighted)."""
    heard: Rect
    """The line with what the avatar heard."""
    safe_bottom: int = 0
    """Rows at the bottom nothing is drawn in but the panel: kiosk bezels and enclosure
    frames hide the screen's edge, and text on the edge reads as cut off."""

    @property
    def portrait(self) -> bool:
        return self.height >= self.width

    @property
    def font_px(self) -> int:
        """Subtitle font size."""
        return max(14, round(min(self.width, self.height) * (0.05 if self.portrait else 0.045)))


def layout_for(width: int, height: int) -> Layout:
    """The layout of a ``width`` x ``height`` screen (either orientation)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"bad screen size {width}x{height}")
    safe = round(height * SAFE_BOTTOM)
    if height >= width:
        s = min(width / 1080.0, height / 1920.0) * 1.15
        band_h = round(height * 0.22)  # three subtitle lines above the safe margin
        heard_h = round(height * 0.045)
        stage_h = height - band_h
        head = (width / 2.0, height * 0.3)
        # the card spans the screen: a map's labels must stay legible at 2 m
        mw, mh = round(width * 0.96), round(height * 0.29)
        media = (round((width - mw) / 2), round(stage_h - mh - height * 0.012), mw, mh)
        heard = (0, stage_h, width, heard_h)
        subs = (0, stage_h + heard_h, width, band_h - heard_h - safe)
    else:
        s = min(width / 1920.0, height / 1080.0) * 0.62
        band_h = round(height * 0.26)
        heard_h = round(height * 0.06)
        stage_h = height - band_h
        head = (width * 0.3, height * 0.3)
        mw, mh = round(width * 0.4), round(stage_h * 0.82)
        media = (round(width * 0.56), round(stage_h * 0.09), mw, mh)
        heard = (0, stage_h, width, heard_h)
        subs = (0, stage_h + heard_h, width, band_h - heard_h - safe)
    return Layout(width, height, s, head, (0, 0, width, stage_h), media, subs, heard, safe)
