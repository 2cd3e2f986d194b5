"""Fonts for subtitles in any script: Debian's Noto Sans CJK, with a Latin fallback.

``fonts-noto-cjk`` ships one ``.ttc`` holding the JP, KR, SC, TC and HK faces
(each also covers Latin); the face is chosen from the text's language so Han
characters take their local form. :func:`renders_notdef` tells a real glyph from
the font's ``.notdef`` box, which is how tests prove CJK is not tofu.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

CJK_FONTS = {
    False: (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    ),
    True: (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    ),
}
FALLBACK_FONTS = {
    False: ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
    True: ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",),
}
FACE_INDEX = {"ja": 0, "ko": 1, "zh": 2, "zh-cn": 2, "zh-tw": 3, "zh-hk": 4}
"""Face of the Noto CJK collection for each language (default: SC)."""

NOTDEF_PROBE = "\U0010fffd"
"""A private-use code point no font maps: it always draws ``.notdef``."""


def cjk_font_path(bold: bool = False) -> Path | None:
    """The Noto Sans CJK collection on this machine, or None."""
    for p in CJK_FONTS[bold] + CJK_FONTS[False]:
        if Path(p).exists():
            return Path(p)
    return None


def _face_for(language: str) -> int:
    lang = language.lower()
    return FACE_INDEX.get(lang, FACE_INDEX.get(lang.split("-")[0], 2))


@functools.lru_cache(maxsize=32)
def load_font(size: int, language: str = "en", bold: bool = False) -> ImageFont.FreeTypeFont:
    """A font covering Latin and CJK at ``size`` px (DejaVu, then Pillow's, as fallbacks)."""
    path = cjk_font_path(bold)
    if path is not None:
        return ImageFont.truetype(str(path), size, index=_face_for(language))
    logger.warning("Noto CJK fonts are missing (apt install fonts-noto-cjk): "
                   "Chinese, Japanese and Korean subtitles will show boxes")
    for p in FALLBACK_FONTS[bold]:
        if Path(p).exists():
            return ImageFont.truetype(p, size)
    return ImageFont.load_default(size)  # type: ignore[return-value]


def glyph_bitmap(font: ImageFont.FreeTypeFont, ch: str) -> np.ndarray:
    """The grayscale bitmap ``font`` draws for one character (cropped to its ink)."""
    size = int(font.size * 2)
    img = Image.new("L", (size, size), 0)
    ImageDraw.Draw(img).text((size // 4, size // 4), ch, font=font, fill=255)
    arr = np.asarray(img)
    ys, xs = np.nonzero(arr)
    if len(xs) == 0:
        return np.zeros((0, 0), np.uint8)
    return arr[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def renders_notdef(font: ImageFont.FreeTypeFont, ch: str) -> bool:
    """True when ``font`` has no glyph for ``ch`` and draws its ``.notdef`` box instead."""
    got, box = glyph_bitmap(font, ch), glyph_bitmap(font, NOTDEF_PROBE)
    return got.shape == box.shape and bool(np.array_equal(got, box))
