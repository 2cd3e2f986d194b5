"""Draw the metro demo's answer video: how to tap a card at the ticket gate (4 s, looping).

Everything is drawn here with OpenCV primitives and its built-in Hershey font (no image,
font or clip from anywhere else): a ticket gate seen from the front, a hand bringing a
bank card to the yellow reader, the reader turning green with a tick, the gate's paddles
opening and closing again, so the last frame leads back into the first. The kiosk plays
it on the answer card of the FAQ ``tickets-contactless-gate`` (``faq.yaml``), in a loop.

Run after changing the drawing: ``.venv/bin/python models/sitepacks/make_metro_video.py``
(writes ``metro-demo/media/tap-card-gate.mp4``, MPEG-4 at 12 fps, well under 300 KB).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import cv2
import numpy as np

PACK = Path(__file__).resolve().parent / "metro-demo"
OUT = PACK / "media" / "tap-card-gate.mp4"
W, H = 640, 336
"""The card's aspect on the kiosk's portrait screen (as the maps' 1200x630)."""
FPS = 12
SECONDS = 4.0
FRAMES = round(FPS * SECONDS)

PAPER = (246, 250, 250)
INK = (40, 40, 40)
CABINET = (150, 146, 140)
CABINET_TOP = (118, 114, 110)
GLASS = (226, 200, 160)
GLASS_EDGE = (170, 140, 100)
YELLOW = (0, 200, 245)
GREEN = (70, 170, 40)
CARD = (150, 70, 20)
CARD_STRIPE = (0, 190, 240)
SKIN = (150, 185, 235)
SKIN_EDGE = (110, 140, 190)

READER = (455, 132)
"""Centre of the yellow reader on top of the right-hand cabinet."""
TAP_AT, LEAVE_AT = 1.2, 1.9
"""The card reaches the reader, and leaves it (seconds into the loop)."""
OPEN, OPENED, CLOSE, CLOSED = 1.6, 2.1, 3.3, 3.8
"""The paddles start opening, are open, start closing, are closed."""


def _ease(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def _card_position(t: float) -> tuple[float, float, float]:
    """Where the card's centre is at ``t`` and its tilt (degrees)."""
    start, tap, away = (700.0, 40.0), (READER[0], READER[1] - 22.0), (720.0, -30.0)
    if t < TAP_AT:
        k = _ease(t / TAP_AT)
        a, b = start, tap
    elif t < LEAVE_AT:
        return tap[0], tap[1] + 4.0 * math.sin(math.pi * (t - TAP_AT) / (LEAVE_AT - TAP_AT)), 0.0
    else:
        k = _ease((t - LEAVE_AT) / 1.0)
        a, b = tap, away
    return a[0] + (b[0] - a[0]) * k, a[1] + (b[1] - a[1]) * k, -12.0 * (1.0 - k) \
        if t < TAP_AT else -12.0 * k


def _rotated(cx: float, cy: float, w: float, h: float, deg: float) -> np.ndarray:
    box = cv2.boxPoints(((cx, cy), (w, h), deg))
    return np.round(box * 16).astype(np.int32)


def _poly(img: np.ndarray, pts: np.ndarray, colour: tuple[int, int, int],
          edge: tuple[int, int, int] | None = None) -> None:
    cv2.fillPoly(img, [pts], colour, cv2.LINE_AA, shift=4)
    if edge is not None:
        cv2.polylines(img, [pts], True, edge, 2, cv2.LINE_AA, shift=4)


def _waves(img: np.ndarray, centre: tuple[int, int], colour: tuple[int, int, int]) -> None:
    """The contactless symbol: three arcs."""
    for r in (8, 15, 22):
        cv2.ellipse(img, centre, (r, r), 0, -50, 50, colour, 3, cv2.LINE_AA)


def frame_at(t: float) -> np.ndarray:
    """The animation's frame at ``t`` seconds into the loop (BGR, W x H)."""
    img = np.full((H, W, 3), PAPER, np.uint8)
    cv2.putText(img, "Tap your card or phone on the yellow reader", (22, 34),
                cv2.FONT_HERSHEY_DUPLEX, 0.72, INK, 1, cv2.LINE_AA)
    cv2.line(img, (40, 300), (600, 300), (200, 200, 200), 2, cv2.LINE_AA)
    opened = _ease((t - OPEN) / (OPENED - OPEN)) * (1.0 - _ease((t - CLOSE) / (CLOSED - CLOSE)))
    tapped = TAP_AT + 0.15 <= t < CLOSED
    # the paddles between the cabinets slide into them as the gate opens
    reach = 68 * (1.0 - opened)
    for x0, sign in ((250, 1), (390, -1)):
        if reach > 1:
            x1 = x0 + sign * reach
            cv2.rectangle(img, (int(min(x0, x1)), 175), (int(max(x0, x1)), 250), GLASS, -1)
            cv2.rectangle(img, (int(min(x0, x1)), 175), (int(max(x0, x1)), 250), GLASS_EDGE, 2)
    # the cabinets
    for x0 in (120, 390):
        cv2.rectangle(img, (x0, 150), (x0 + 130, 300), CABINET, -1)
        cv2.rectangle(img, (x0, 140), (x0 + 130, 156), CABINET_TOP, -1)
    # the way through: a green arrow once the card is read, a red bar before
    if tapped:
        cv2.arrowedLine(img, (320, 290), (320, 200), GREEN, 8, cv2.LINE_AA, tipLength=0.35)
    else:
        cv2.circle(img, (185, 200), 14, (60, 60, 210), -1, cv2.LINE_AA)
        cv2.line(img, (177, 200), (193, 200), (255, 255, 255), 4, cv2.LINE_AA)
    if tapped:
        cv2.circle(img, (185, 200), 14, GREEN, -1, cv2.LINE_AA)
    # the reader: yellow, green with a tick once the card is read
    rx, ry = READER
    colour = GREEN if tapped else YELLOW
    cv2.rectangle(img, (rx - 42, ry - 14), (rx + 42, ry + 14), colour, -1, cv2.LINE_AA)
    cv2.rectangle(img, (rx - 42, ry - 14), (rx + 42, ry + 14), INK, 2, cv2.LINE_AA)
    if tapped:
        cv2.polylines(img, [np.array([[rx - 12, ry], [rx - 3, ry + 8], [rx + 14, ry - 9]])],
                      False, (255, 255, 255), 4, cv2.LINE_AA)
        k = min(1.0, (t - TAP_AT - 0.15) / 0.5)
        if k < 1.0:  # a ring spreading from the reader: "beep"
            cv2.circle(img, (rx, ry), int(30 + 50 * k), GREEN, 2, cv2.LINE_AA)
    else:
        _waves(img, (rx - 8, ry), INK)
    # the hand and the card
    cx, cy, tilt = _card_position(t)
    if cx < W + 60:
        _poly(img, _rotated(cx, cy, 86, 54, tilt), CARD, INK)
        _poly(img, _rotated(cx - 10 * math.cos(math.radians(tilt)),
                            cy - 10 * math.sin(math.radians(tilt)) - 12, 60, 8, tilt),
              CARD_STRIPE)
        a = math.radians(tilt)
        hx, hy = cx + 40 * math.cos(a) + 14 * math.sin(a), cy + 40 * math.sin(a) - 10
        _poly(img, _rotated(hx + 26, hy - 2, 64, 44, tilt - 8), SKIN, SKIN_EDGE)  # the palm
        _poly(img, _rotated(hx - 6, hy - 14, 34, 14, tilt + 10), SKIN, SKIN_EDGE)  # the thumb
        _poly(img, _rotated(hx + 90, hy - 20, 80, 46, tilt - 30), (90, 60, 40))  # the sleeve
    return img


def frames() -> list[np.ndarray]:
    """Every frame of one loop."""
    return [frame_at(i / FPS) for i in range(FRAMES)]


def write(path: Path = OUT) -> Path:
    """Write the loop as MPEG-4 (``mp4v``): every OpenCV with FFmpeg or GStreamer reads it."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    if not writer.isOpened():
        raise OSError(f"cannot write {path} (OpenCV has no MPEG-4 encoder here)")
    try:
        for img in frames():
            writer.write(img)
    finally:
        writer.release()
    return path


if __name__ == "__main__":
    out = write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {out} ({out.stat().st_size} bytes, {FRAMES} frames at {FPS} fps)")
