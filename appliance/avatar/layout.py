"""Where things go on the screen, for any size and orientation.

Portrait (the common kiosk, 1080x1920): the avatar fills the upper stage, answer
media appears as a card below the face (the gesturing hand passes over it), and
subtitles sit in a band at the bottom. Landscape: the avatar stands on the left,
media beside it on the right, subtitles along the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    if height >= width:
        s = min(width / 1080.0, height / 1920.0) * 1.15
        band_h = round(height * 0.2)
        heard_h = round(height * 0.045)
        stage_h = height - band_h
        head = (width / 2.0, height * 0.3)
        mw, mh = round(width * 0.72), round(height * 0.21)
        media = (round((width - mw) / 2), round(stage_h - mh - height * 0.015), mw, mh)
        heard = (0, stage_h, width, heard_h)
        subs = (0, stage_h + heard_h, width, band_h - heard_h)
    else:
        s = min(width / 1920.0, height / 1080.0) * 0.62
        band_h = round(height * 0.22)
        heard_h = round(height * 0.06)
        stage_h = height - band_h
        head = (width * 0.3, height * 0.3)
        mw, mh = round(width * 0.4), round(stage_h * 0.82)
        media = (round(width * 0.56), round(stage_h * 0.09), mw, mh)
        heard = (0, stage_h, width, heard_h)
        subs = (0, stage_h + heard_h, width, band_h - heard_h)
    return Layout(width, height, s, head, (0, 0, width, stage_h), media, subs, heard)
