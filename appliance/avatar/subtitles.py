"""Subtitles: the spoken reply, word-highlighted in time, and the line the avatar heard.

Text is shaped once per reply with Pillow/FreeType into page images (two or three
lines each) in three looks: upcoming (dim), spoken (white) and current (dark on an
accent pill). A frame then only copies rectangles: the page in its upcoming look,
the spoken words over it, the current word on top. No text is drawn per frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from appliance.avatar import draw as d
from appliance.avatar.fonts import load_font
from appliance.avatar.text2action import text_words

_CJK = re.compile(
    r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_PUNCT = set("，。！？、；：）」』》,.!?;:)")


def _rgb(c: d.Color) -> tuple[int, int, int]:
    return (c[2], c[1], c[0])


def display_tokens(text: str) -> list[tuple[str, bool]]:
    """Split text into (token, space_before) units for display; CJK is per character."""
    out: list[tuple[str, bool]] = []
    for chunk in text.split():
        first = len(out)
        buf = ""
        for ch in chunk:
            if _CJK.match(ch) and ch not in _PUNCT:
                if buf:
                    out.append((buf, len(out) == first))
                    buf = ""
                out.append((ch, len(out) == first))
            elif ch in _PUNCT and not buf and len(out) > first:
                tok, sp = out[-1]
                out[-1] = (tok + ch, sp)
            else:
                buf += ch
        if buf:
            out.append((buf, len(out) == first))
    return out


@dataclass(frozen=True)
class _Token:
    text: str
    page: int
    box: tuple[int, int, int, int]
    """x0, y0, x1, y1 inside the page image (pill included)."""
    first_word: int
    """Index of the first timed word this token carries (-1: none, e.g. a lone mark)."""


class SubtitleTrack:
    """One reply's subtitle pages for a band of ``width`` x ``height`` pixels."""

    def __init__(self, text: str, width: int, height: int, font_px: int,
                 language: str = "en") -> None:
        self.text = text
        self.width, self.height = width, height
        self.font = load_font(font_px, language)
        self.font_px = font_px
        self.pad = max(4, font_px // 6)
        space = int(self.font.getlength(" "))
        self.hpad = max(1, min(self.pad, space // 2 - 2))
        """Horizontal padding of a word's pill: less than half a space."""
        self.line_h = int(font_px * 1.45)
        self.max_lines = max(1, (height - 2 * self.pad) // self.line_h)
        self.tokens: list[_Token] = []
        self._pages: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._layout()

    @property
    def pages(self) -> int:
        return len(self._pages)

    def _layout(self) -> None:
        margin = int(self.width * 0.06)
        space = int(self.font.getlength(" "))
        lines: list[list[tuple[str, int, int]]] = [[]]  # (text, x, word index)
        x = margin
        word = 0
        for tok, space_before in display_tokens(self.text):
            w = int(self.font.getlength(tok))
            gap = space if space_before and lines[-1] else 0
            if lines[-1] and x + gap + w > self.width - margin:
                lines.append([])
                x, gap = margin, 0
            n_words = len(text_words(tok))
            lines[-1].append((tok, x + gap, word if n_words else -1))
            x += gap + w
            word += n_words
        top = (self.height - min(len(lines), self.max_lines) * self.line_h) // 2
        for li, line in enumerate(lines):
            page, row = divmod(li, self.max_lines)
            y = top + row * self.line_h
            for tok, tx, wi in line:
                w = int(self.font.getlength(tok))
                # the pill stops short of the neighbours' half of each space, so the
                # highlighted word never swallows the space between words
                box = (tx - self.hpad, y, tx + w + self.hpad, y + self.line_h)
                self.tokens.append(_Token(tok, page, box, wi))
        n_pages = (len(lines) + self.max_lines - 1) // self.max_lines
        for p in range(n_pages):
            self._pages.append(self._render_page(p))

    def _render_page(self, page: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        looks = []
        for look in ("upcoming", "spoken", "current"):
            img = Image.new("RGB", (self.width, self.height), _rgb(d.PANEL))
            draw = ImageDraw.Draw(img)
            for t in self.tokens:
                if t.page != page:
                    continue
                x0, y0, x1, y1 = t.box
                fill = _rgb(d.TEXT_DIM if look == "upcoming" else d.TEXT)
                if look == "current":
                    draw.rounded_rectangle((x0, y0 + 2, x1 - 1, y1 - 3), radius=self.pad * 2,
                                           fill=_rgb(d.ACCENT))
                    fill = _rgb(d.PANEL)
                baseline = y0 + (self.line_h - self.font_px) // 2 - self.font_px // 8
                draw.text((x0 + self.hpad, baseline), t.text, font=self.font, fill=fill)
            looks.append(np.ascontiguousarray(np.asarray(img)[:, :, ::-1]))
        return looks[0], looks[1], looks[2]

    def token_for_word(self, word: int) -> int:
        """Index of the display token carrying timed word ``word`` (-1 before any)."""
        found = -1
        for i, t in enumerate(self.tokens):
            if t.first_word == -1:
                continue
            if t.first_word <= word:
                found = i
            else:
                break
        return found

    def draw(self, out: np.ndarray, word: int, highlight: bool = True) -> None:
        """Paint the band into ``out`` (height x width x 3) with word ``word`` current.

        ``highlight=False`` shows every word up to ``word`` as spoken, without the pill.
        """
        if not self._pages:
            out[:] = d.PANEL
            return
        cur = self.token_for_word(word)
        page = self.tokens[cur].page if cur >= 0 else 0
        base, spoken, current = self._pages[page]
        np.copyto(out, base)
        for i, t in enumerate(self.tokens):
            if t.page != page or i > cur:
                continue
            x0, y0, x1, y1 = t.box
            src = current if i == cur and highlight else spoken
            out[y0:y1, x0:x1] = src[y0:y1, x0:x1]


def render_line(text: str, width: int, height: int, font_px: int, language: str = "en",
                color: d.Color = d.TEXT_DIM, background: d.Color = d.PANEL,
                prefix: str = "") -> np.ndarray:
    """One centred line (ellipsized to fit) as a BGR image: the "heard" caption."""
    font: ImageFont.FreeTypeFont = load_font(font_px, language)
    full = prefix + text
    margin = int(width * 0.06)
    while full and font.getlength(full) > width - 2 * margin:
        full = full[:-2] + "…"
    img = Image.new("RGB", (width, height), _rgb(background))
    if full:
        w = font.getlength(full)
        ImageDraw.Draw(img).text(((width - w) / 2, (height - font_px) / 2 - font_px / 8), full,
                                 font=font, fill=_rgb(color))
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])
