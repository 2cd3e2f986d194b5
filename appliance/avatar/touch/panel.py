"""The touch panel of ``kiosk display``: suggestion buttons or a keyboard below the avatar.

The screen (``size``, the avatar stream's frame size, 1080x1920 on the kiosk) is split:
the avatar frame is fitted into the top, the panel fills the bottom
:data:`PANEL_SHARE` of the height. Below the avatar rather than over it, so the
avatar's own subtitles and answer card stay visible. The panel has four modes:

- ``suggest``: a notice line, a button per suggested question (two columns, at most
  eight), "Type a question", "Station plan" (when the desk has one) and a "Sign" toggle;
- ``keyboard``: the notice line, the text line and :mod:`~appliance.avatar.touch.keyboard`;
- ``plan``: the notice line, the station plan (drawn by the desk at the panel's size,
  :mod:`appliance.avatar.touch.plan`), "Back" and "Sign"; a touch on the plan is sent to
  the desk, which tells the place touched with the geometry it drew the plan with;
- ``reply``: the question asked on the notice line and the reply in large text
  (:data:`REPLY_MAX_PX_1080` down to :data:`REPLY_MIN_PX_1080` px on a 1080-wide screen),
  "Ask another", "Station plan" and "Sign".

Everything is in screen pixels; :meth:`TouchPanel.press` takes a point (the window
maps its events back to these pixels) and returns what to ask, if anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from appliance.avatar.fonts import load_font
from appliance.avatar.subtitles import display_tokens
from appliance.avatar.touch.keyboard import COMMAND_ROW, KEY_ROWS, TextLine
from appliance.pipeline.typed import MAX_CHARS
from appliance.sitepack.model import Suggestion

PANEL_SHARE = 0.36
"""The panel's share of the screen height (the rest shows the avatar)."""
MAX_SUGGESTIONS = 8

RGB = tuple[int, int, int]
# the browser page's colours, so both screens look alike
PANEL_RGB: RGB = (17, 17, 17)
BUTTON_RGB: RGB = (42, 93, 176)
KEY_RGB: RGB = (68, 68, 68)
LINE_RGB: RGB = (240, 240, 240)
TEXT_RGB: RGB = (238, 238, 238)
DIM_RGB: RGB = (120, 120, 120)
NOTICE_RGB: RGB = (255, 204, 102)
SIGN_ON_RGB: RGB = (40, 150, 90)
REPLY_RGB: RGB = (34, 34, 51)
"""The reply's background (the browser page's ``#reply``)."""

REPLY_MAX_PX_1080 = 64
"""The reply's text size (font px) on a 1080-wide screen, when it fits."""
REPLY_MIN_PX_1080 = 36
"""The least a long reply shrinks to (24 px is legible at 2 m); beyond, it is cut with
an ellipsis (the avatar still says it all, its subtitles show it all)."""
PLAN_HINT = "Touch a place on the plan to ask about it."
LOADING_PLAN = "Loading the plan…"


@dataclass(frozen=True)
class Button:
    """A touch target in screen pixels: ``kind`` ``suggest`` (``value`` is the question),
    ``key`` (a character or keyboard command) or ``mode`` (``keyboard``/``sign``)."""

    x: int
    y: int
    w: int
    h: int
    kind: str
    value: str
    label: str

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.x + self.w and self.y <= y < self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True)
class Asked:
    """A question the panel wants posted to ``/touch/ask``."""

    text: str
    source: str  # "touch" for a suggestion button, "text" for the keyboard line
    sign: bool = False


@dataclass(frozen=True)
class PlanPress:
    """A touch on the station plan, to post to ``/touch/plan``: pixel (x, y) of the plan
    as drawn at ``size`` (the desk tells which place, if any)."""

    x: float
    y: float
    size: tuple[int, int]
    sign: bool = False


IDLE_RESET_S = 60.0
"""A panel left this long without a touch forgets the last visitor: the reply, what was
asked and what was typed go, and the suggestions come back (the next visitor must not read
the last one's question)."""


class TouchPanel:
    """Layout, hit-testing, state and drawing of the panel (used by one thread)."""

    def __init__(self, size: tuple[int, int], suggestions: Sequence[Suggestion] = (),
                 max_chars: int = MAX_CHARS, plan: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self.touched_at = clock()
        """When the panel last had a touch or showed a reply."""
        self.suggestions = list(suggestions)[:MAX_SUGGESTIONS]
        self.mode = "suggest"
        self.sign = False
        self.line = TextLine(max_chars=max_chars)
        self.notice = ""
        """One line above the buttons: the server's refusal, or what was asked."""
        self.plan = plan
        """The desk has a station plan: the "Station plan" button and mode."""
        self.plan_image: np.ndarray | None = None
        """The plan as the desk drew it (BGR), at :meth:`plan_size` when current."""
        self.reply = ""
        self.reply_language = "en"
        self.reply_px = 0
        """The reply's text size (font px) as last drawn."""
        self._drawn: tuple[tuple[object, ...], np.ndarray] | None = None
        self._composed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    # -- layout -------------------------------------------------------------------------

    @property
    def top(self) -> int:
        """The panel's first row of pixels."""
        return self.size[1] - round(self.size[1] * PANEL_SHARE)

    def _rows(self) -> tuple[int, int, int]:
        """(margin, notice height, first y below the notice)."""
        w, h = self.size
        margin = max(4, round(w * 0.015))
        notice_h = round((h - self.top) * 0.12)
        return margin, notice_h, self.top + margin + notice_h

    def _bottom_h(self) -> int:
        return round(self._rows()[1] * 1.3)

    def body_box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) between the notice line and the bottom row: the suggestions, the
        plan or the reply."""
        w, h = self.size
        m, _notice_h, y0 = self._rows()
        return m, y0, w - 2 * m, h - m - self._bottom_h() - m - y0

    def plan_size(self) -> tuple[int, int]:
        """The size the plan is drawn at: the body's."""
        _x, _y, bw, bh = self.body_box()
        return bw, bh

    def buttons(self) -> list[Button]:
        """The touch targets of the current mode."""
        if self.mode == "keyboard":
            return self._keyboard()
        if self.mode == "plan":
            return self._bottom([("mode", "suggest", "Back", 0.7), self._sign(0.3)])
        if self.mode == "reply":
            row = [("mode", "suggest", "Ask another", 0.4)]
            if self.plan:
                row.append(("mode", "plan", "Station plan", 0.35))
            return self._bottom([*row, self._sign(0.25 if self.plan else 0.6)])
        return self._suggest()

    def _sign(self, share: float) -> tuple[str, str, str, float]:
        return ("mode", "sign", "Sign: on" if self.sign else "Sign: off", share)

    def _bottom(self, row: list[tuple[str, str, str, float]]) -> list[Button]:
        """The bottom row: (kind, value, label, share of the width) left to right; the
        last button takes what is left."""
        w, h = self.size
        m = self._rows()[0]
        bottom_h = self._bottom_h()
        yb = h - m - bottom_h
        free = w - (len(row) + 1) * m
        out, x = [], m
        for i, (kind, value, label, share) in enumerate(row):
            bw = w - m - x if i == len(row) - 1 else round(free * share)
            out.append(Button(x, yb, bw, bottom_h, kind, value, label))
            x += bw + m
        return out

    def _suggest(self) -> list[Button]:
        w, _h = self.size
        m, _notice_h, y0 = self._rows()
        grid_h = self.body_box()[3]
        row_h = (grid_h - 3 * m) // 4
        col_w = (w - 3 * m) // 2
        out = []
        for i, s in enumerate(self.suggestions):
            row, col = divmod(i, 2)
            out.append(Button(m + col * (col_w + m), y0 + row * (row_h + m), col_w, row_h,
                              "suggest", s.question, s.label))
        if self.plan:
            return out + self._bottom([("mode", "keyboard", "Type a question", 0.4),
                                       ("mode", "plan", "Station plan", 0.35),
                                       self._sign(0.25)])
        return out + self._bottom([("mode", "keyboard", "Type a question", 0.7),
                                   self._sign(0.3)])

    def text_box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the typed line in keyboard mode."""
        w, _h = self.size
        m, notice_h, y0 = self._rows()
        return m, y0, w - 2 * m, round(notice_h * 1.2)

    def _keyboard(self) -> list[Button]:
        w, h = self.size
        m = self._rows()[0]
        bx, by, _bw, bh = self.text_box()
        y0 = by + bh + m
        rows = len(KEY_ROWS) + 1
        gap = max(2, m // 2)
        key_h = (h - m - y0 - (rows - 1) * gap) // rows
        col = (w - 2 * m + gap) / 10  # ten columns, each a key and its gap
        out = []
        for r, keys in enumerate(KEY_ROWS):
            y = y0 + r * (key_h + gap)
            for c, ch in enumerate(keys):
                out.append(Button(round(bx + c * col), y, round(col - gap), key_h, "key", ch, ch))
        y, c = y0 + len(KEY_ROWS) * (key_h + gap), 0
        for command, label, span in COMMAND_ROW:
            out.append(Button(round(bx + c * col), y, round(span * col - gap), key_h, "key",
                              command, label))
            c += span
        return out

    # -- input --------------------------------------------------------------------------

    def hit(self, x: float, y: float) -> Button | None:
        """The button under screen point (x, y), if any."""
        return next((b for b in self.buttons() if b.contains(x, y)), None)

    def press(self, x: float, y: float) -> Asked | PlanPress | None:
        """Apply a touch at screen point (x, y); what to ask when it asks something."""
        self.touched_at = self.clock()
        button = self.hit(x, y)
        if button is None:
            return self._on_plan(x, y)
        if button.kind == "suggest":
            return Asked(button.value, "touch", self.sign)
        if button.kind == "mode":
            if button.value == "sign":
                self.sign = not self.sign
            else:
                self.mode = button.value
                self.notice = PLAN_HINT if button.value == "plan" else ""
            return None
        if button.value == "back":
            self.mode = "suggest"
            return None
        typed = self.line.press(button.value)
        return None if typed is None else Asked(typed, "text", self.sign)

    def _on_plan(self, x: float, y: float) -> PlanPress | None:
        """A touch on the plan as shown (nothing while it is not shown yet)."""
        if self.mode != "plan" or self.plan_image is None:
            return None
        bx, by, bw, bh = self.body_box()
        if (self.plan_image.shape[1], self.plan_image.shape[0]) != (bw, bh):
            return None  # drawn for another size: not what the visitor sees
        if not (bx <= x < bx + bw and by <= y < by + bh):
            return None
        return PlanPress(x - bx, y - by, (bw, bh), self.sign)

    def show_reply(self, question: str, reply: str, language: str = "en") -> None:
        """The reply to a question from this screen, in large text."""
        self.mode, self.notice = "reply", f"You asked: {question}" if question else ""
        self.reply, self.reply_language = reply, language
        self.touched_at = self.clock()

    def forget_if_idle(self) -> bool:
        """Back to the suggestions, nothing of the last visitor left, after
        :data:`IDLE_RESET_S` without a touch; whether it did."""
        idle = self.clock() - self.touched_at >= IDLE_RESET_S
        if not idle or (self.mode == "suggest" and not self.notice and not self.line.text
                        and not self.reply):
            return False
        self.mode, self.notice, self.reply, self.sign = "suggest", "", "", False
        self.line.clear()
        return True

    # -- drawing ------------------------------------------------------------------------

    def draw(self) -> np.ndarray:
        """The panel (BGR, the screen's width by the panel's height); cached per state."""
        plan = self.plan_image if self.mode == "plan" else None
        state = (self.size, self.mode, self.sign, self.line.text, self.notice,
                 tuple(self.suggestions), self.plan, id(plan),
                 self.reply if self.mode == "reply" else "", self.reply_language)
        if self._drawn is not None and self._drawn[0] == state:
            return self._drawn[1]
        w, h = self.size
        top = self.top
        img = Image.new("RGB", (w, h - top), PANEL_RGB)
        draw = ImageDraw.Draw(img)
        m, notice_h, _y0 = self._rows()
        if self.notice:
            _fit_text(draw, (m, m, w - 2 * m, notice_h), self.notice, NOTICE_RGB, top=0,
                      centre=False)
        if self.mode == "keyboard":
            x, y, bw, bh = self.text_box()
            draw.rounded_rectangle((x, y - top, x + bw, y - top + bh), radius=m, fill=LINE_RGB)
            shown = self.line.text + "|"
            colour: RGB = (20, 20, 20)
            if not self.line.text:
                shown, colour = "Type your question", DIM_RGB
            _fit_text(draw, (x + m, y, bw - 2 * m, bh), shown, colour, top=top, centre=False,
                      keep_end=True)
        bx, by, bw, bh = self.body_box()
        if self.mode == "plan":
            if plan is not None and (plan.shape[1], plan.shape[0]) == (bw, bh):
                img.paste(Image.fromarray(cv2.cvtColor(plan, cv2.COLOR_BGR2RGB)), (bx, by - top))
            else:
                _fit_text(draw, (bx, by, bw, notice_h), LOADING_PLAN, DIM_RGB, top=top)
        if self.mode == "reply":
            draw.rounded_rectangle((bx, by - top, bx + bw, by - top + bh), radius=m,
                                   fill=REPLY_RGB)
            k = w / 1080
            self.reply_px = _wrap_text(draw, (bx + m, by + m, bw - 2 * m, bh - 2 * m),
                                       self.reply, TEXT_RGB, top,
                                       max_px=max(10, round(REPLY_MAX_PX_1080 * k)),
                                       min_px=max(8, round(REPLY_MIN_PX_1080 * k)),
                                       language=self.reply_language)
        for b in self.buttons():
            fill = (BUTTON_RGB if b.kind != "key" or b.value == "ask" else KEY_RGB)
            if b.value == "sign" and self.sign:
                fill = SIGN_ON_RGB
            draw.rounded_rectangle((b.x, b.y - top, b.x + b.w, b.y - top + b.h),
                                   radius=max(4, m), fill=fill)
            _fit_text(draw, (b.x + m // 2, b.y, b.w - m, b.h), b.label, TEXT_RGB, top=top)
        panel = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
        self._drawn = (state, panel)
        return panel

    def compose(self, frame: np.ndarray) -> np.ndarray:
        """The screen: ``frame`` fitted into the area above the panel, the panel below."""
        panel = self.draw()
        done = self._composed
        # the viewer shows one stream frame several times: fit it once (~10 ms at 1080p)
        if done is not None and done[0] is frame and done[1] is panel:
            return done[2]
        w, h = self.size
        top = self.top
        screen = np.empty((h, w, 3), np.uint8)
        screen[:top] = PANEL_RGB[::-1]
        fh, fw = frame.shape[:2]
        k = min(w / fw, top / fh)
        nw, nh = max(1, round(fw * k)), max(1, round(fh * k))
        x, y = (w - nw) // 2, (top - nh) // 2
        screen[y:y + nh, x:x + nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
        screen[top:] = panel
        self._composed = (frame, panel, screen)
        return screen


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
          width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` (words; CJK per character)."""
    lines: list[str] = []
    line = ""
    for token, space in display_tokens(text):
        while draw.textlength(token, font=font) > width and len(token) > 1:
            # a token wider than a line (a long address): cut where it overflows
            cut = next(i for i in range(1, len(token) + 1)
                       if draw.textlength(token[:i], font=font) > width) - 1
            cut = max(1, cut)
            if line:
                lines.append(line)
            lines.append(token[:cut])
            line, token, space = "", token[cut:], False
        joined = line + (" " if space and line else "") + token
        if not line or draw.textlength(joined, font=font) <= width:
            line = joined
        else:
            lines.append(line)
            line = token
    if line:
        lines.append(line)
    return lines


def _wrap_text(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str,
               fill: RGB, top: int, max_px: int, min_px: int, language: str = "en") -> int:
    """Draw ``text`` wrapped in ``box`` (screen y; ``top`` is the panel's) at the largest
    size from ``max_px`` down to ``min_px`` at which it fits; what still does not fit at
    ``min_px`` is cut with an ellipsis. Returns the size drawn."""
    x, y, bw, bh = box
    size = max_px
    while True:
        font = load_font(size, language)
        lines = _wrap(draw, text, font, bw)
        line_h = round(size * 1.3)
        if len(lines) * line_h <= bh or size <= min_px:
            break
        size = max(min_px, round(size * 0.9))
    room = max(1, bh // line_h)
    if len(lines) > room:
        lines = lines[:room]
        last = lines[-1] + "…"
        while draw.textlength(last, font=font) > bw and len(last) > 1:
            last = last[:-2] + "…"
        lines[-1] = last
    for i, line in enumerate(lines):
        draw.text((x, y - top + i * line_h), line, font=font, fill=fill, anchor="la")
    return size


def _fit_text(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str,
              fill: RGB, top: int, centre: bool = True, keep_end: bool = False) -> None:
    """Draw ``text`` in ``box`` (screen y; ``top`` is the panel's) as large as the box's
    height allows, smaller or shortened with an ellipsis when too wide."""
    x, y, bw, bh = box
    size = max(8, round(bh * 0.5))
    font = load_font(size)
    while draw.textlength(text, font=font) > bw and size > max(8, bh * 0.3):
        size = round(size * 0.9)
        font = load_font(size)
    while draw.textlength(text, font=font) > bw and len(text) > 2:
        # typed text keeps its end (where the caret is), labels keep their start
        text = "…" + text[2:] if keep_end else text[:-2] + "…"
    tw = draw.textlength(text, font=font)
    tx = x + (bw - tw) / 2 if centre else x
    draw.text((tx, y - top + bh / 2), text, font=font, fill=fill, anchor="lm")
