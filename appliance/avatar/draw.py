"""Anti-aliased, sub-pixel drawing helpers over OpenCV, and the palette.

Shapes are float ``(N, 2)`` point arrays in pixels; they are drawn with OpenCV's
fixed-point ``shift`` so slow motion glides instead of stepping a pixel at a time.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

SHIFT = 3
_ONE = float(1 << SHIFT)
AA = cv2.LINE_AA

Color = tuple[int, int, int]

# palette (BGR): a friendly, clean flat style
BG_TOP: Color = (246, 236, 224)
BG_BOTTOM: Color = (230, 208, 186)
HALO: Color = (252, 246, 238)
SKIN: Color = (178, 207, 247)
SKIN_SHADE: Color = (150, 182, 232)
HAIR: Color = (58, 44, 56)
HAIR_LIGHT: Color = (84, 66, 80)
JACKET: Color = (128, 82, 36)
JACKET_SHADE: Color = (104, 64, 26)
SHIRT: Color = (250, 250, 250)
ACCENT: Color = (60, 168, 255)
MOUTH: Color = (62, 44, 118)
TONGUE: Color = (128, 116, 234)
TEETH: Color = (252, 252, 252)
LIP: Color = (104, 104, 196)
"""The lower lip (lit from above)."""
LIP_UPPER: Color = (92, 88, 176)
"""The upper lip faces down, away from the light: darker."""
LIP_LINE: Color = (88, 80, 150)
"""Where the lips meet (kept far from MOUTH: the lip-sync check counts cavity pixels)."""
SKIN_DARK: Color = (128, 158, 214)
"""Form shadow on the face: jaw, cheek side, under the brow."""
LID: Color = (150, 176, 226)
"""The upper eyelid's fold."""
SCLERA_SHADE: Color = (222, 224, 232)
"""The lid's shadow on the top of the eye."""
IRIS: Color = (60, 78, 104)
PUPIL: Color = (30, 26, 30)
SCLERA: Color = (255, 255, 255)
BLUSH: Color = (160, 156, 250)
INK: Color = (58, 44, 56)
TEXT: Color = (250, 250, 250)
TEXT_DIM: Color = (190, 176, 168)
PANEL: Color = (70, 48, 34)

_CIRCLE = np.stack(
    [np.cos(np.linspace(0, 2 * math.pi, 56, endpoint=False)),
     np.sin(np.linspace(0, 2 * math.pi, 56, endpoint=False))], axis=1)


def fixed(pts: np.ndarray) -> np.ndarray:
    """Float pixel points -> OpenCV fixed-point int32."""
    return np.round(pts * _ONE).astype(np.int32)


def fill(img: np.ndarray, pts: np.ndarray, color: Color) -> None:
    """Fill a polygon, anti-aliased."""
    cv2.fillPoly(img, [fixed(pts)], color, AA, SHIFT)


def stroke(img: np.ndarray, pts: np.ndarray, color: Color, width: float,
           closed: bool = False) -> None:
    """A polyline with round caps (OpenCV widths are integer pixels)."""
    w = max(1, round(width))
    cv2.polylines(img, [fixed(pts)], closed, color, w, AA, SHIFT)


def dot(img: np.ndarray, center: tuple[float, float], radius: float, color: Color) -> None:
    """A filled circle."""
    c = (round(center[0] * _ONE), round(center[1] * _ONE))
    cv2.circle(img, c, max(1, round(radius * _ONE)), color, -1, AA, SHIFT)


def ellipse(cx: float, cy: float, rx: float, ry: float, angle_deg: float = 0.0) -> np.ndarray:
    """Points of an ellipse (float, pixels)."""
    pts = _CIRCLE * np.array([rx, ry])
    if angle_deg:
        pts = rotate(pts, angle_deg)
    return pts + np.array([cx, cy])


def rotate(pts: np.ndarray, angle_deg: float,
           about: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Rotate points by ``angle_deg`` (clockwise on screen) about a pivot."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    p = pts - np.array(about)
    out = np.empty_like(p)
    out[:, 0] = p[:, 0] * c - p[:, 1] * s
    out[:, 1] = p[:, 0] * s + p[:, 1] * c
    return out + np.array(about)


def bezier(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
           p3: tuple[float, float], n: int = 16) -> np.ndarray:
    """Points on a cubic Bezier curve."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c, d = (np.array(p, dtype=np.float64) for p in (p0, p1, p2, p3))
    return ((1 - t) ** 3) * a + 3 * ((1 - t) ** 2) * t * b + 3 * (1 - t) * t * t * c + t**3 * d


def capsule(p: tuple[float, float], q: tuple[float, float], r0: float, r1: float) -> np.ndarray:
    """A tapered limb from ``p`` (radius r0) to ``q`` (radius r1), as one polygon."""
    px, py = p
    qx, qy = q
    ang = math.atan2(qy - py, qx - px)
    n = 10
    start = np.linspace(ang + math.pi / 2, ang + 3 * math.pi / 2, n)
    end = np.linspace(ang - math.pi / 2, ang + math.pi / 2, n)
    a = np.stack([px + r0 * np.cos(start), py + r0 * np.sin(start)], axis=1)
    b = np.stack([qx + r1 * np.cos(end), qy + r1 * np.sin(end)], axis=1)
    return np.concatenate([a, b])


_LIGHT_2D = np.array([-0.63, -0.77])
"""The key light's direction on the screen (upper left), as the face's and the body's."""


def shaded_fill(img: np.ndarray, pts: np.ndarray, dark: Color, lit: Color,
                levels: int = 6, core: float = 0.45) -> None:
    """Fill an elongated shape (a limb, a finger) as a lit cylinder: ``dark`` at its
    rim, nested copies narrowed across its long axis and moved toward the light going
    to ``lit``; ``core`` is how wide the lit middle is.

    A few anti-aliased fills instead of a per-pixel shade: cheap enough for every frame.
    """
    c = pts.mean(axis=0)
    rel = pts - c
    _, _, vt = np.linalg.svd(rel, full_matrices=False)
    u, v = vt[0], vt[1]
    a, b = rel @ u, rel @ v
    half = float(np.abs(b).max())
    la, lb = float(_LIGHT_2D @ u), float(_LIGHT_2D @ v)
    fill(img, pts, dark)
    for k in range(1, levels):
        t = k / (levels - 1)
        f = 1.0 - (1.0 - core) * (1.0 - math.cos(t * math.pi / 2))  # the rim turns fastest
        shift = (1.0 - f) * half * 0.55
        aa = a * (1.0 - (1.0 - f) * 0.2) + la * shift
        bb = b * f + lb * shift
        colour = tuple(round(dk + (lt - dk) * t) for dk, lt in zip(dark, lit, strict=True))
        fill(img, c + np.outer(aa, u) + np.outer(bb, v), colour)  # type: ignore[arg-type]


def blend_patch(img: np.ndarray, x0: int, y0: int, patch: np.ndarray, alpha: np.ndarray) -> None:
    """Alpha-blend ``patch`` (HxWxC, as ``img``) into ``img`` at (x0, y0) with alpha HxW in
    0..255, clipped to ``img``."""
    h, w = alpha.shape
    x1, y1 = min(img.shape[1], x0 + w), min(img.shape[0], y0 + h)
    xs, ys = max(0, x0), max(0, y0)
    if x1 <= xs or y1 <= ys:
        return
    a = alpha[ys - y0 : y1 - y0, xs - x0 : x1 - x0, None].astype(np.uint16)
    src = patch[ys - y0 : y1 - y0, xs - x0 : x1 - x0].astype(np.uint16)
    dst = img[ys:y1, xs:x1]
    dst[:] = ((src * a + dst.astype(np.uint16) * (255 - a) + 127) // 255).astype(np.uint8)


def blend_bgra(img: np.ndarray, x0: int, y0: int, patch: np.ndarray) -> None:
    """Blend a BGRA ``patch`` into ``img`` at (x0, y0) by its own alpha (OpenCV's
    blendLinear: several times quicker than :func:`blend_patch` on a face-sized patch)."""
    h, w = patch.shape[:2]
    x1, y1 = min(img.shape[1], x0 + w), min(img.shape[0], y0 + h)
    xs, ys = max(0, x0), max(0, y0)
    if x1 <= xs or y1 <= ys:
        return
    part = patch[ys - y0 : y1 - y0, xs - x0 : x1 - x0]
    wt = part[..., 3].astype(np.float32) * (1.0 / 255.0)
    dst = img[ys:y1, xs:x1]
    cv2.blendLinear(np.ascontiguousarray(part[..., :3]), dst, wt, 1.0 - wt, dst=dst)


def blend_color(img: np.ndarray, x0: int, y0: int, color: Color, weight: np.ndarray) -> None:
    """Blend ``color`` into ``img`` at (x0, y0) with float32 ``weight`` (HxW, 0..1).

    OpenCV's blendLinear: about ten times quicker than :func:`blend_patch`'s numpy, for
    the soft face shading drawn every frame.
    """
    h, w = weight.shape
    x1, y1 = min(img.shape[1], x0 + w), min(img.shape[0], y0 + h)
    xs, ys = max(0, x0), max(0, y0)
    if x1 <= xs or y1 <= ys:
        return
    wt = weight[ys - y0 : y1 - y0, xs - x0 : x1 - x0]
    dst = img[ys:y1, xs:x1]  # a view: OpenCV reads and writes the rows in place
    cv2.blendLinear(_solid(color, dst.shape), dst, wt, 1.0 - wt, dst=dst)


_SOLID: dict[Color, np.ndarray] = {}


def _solid(color: Color, shape: tuple[int, ...]) -> np.ndarray:
    """A view of a cached image filled with ``color``, at least ``shape`` big."""
    buf = _SOLID.get(color)
    if buf is None or buf.shape[0] < shape[0] or buf.shape[1] < shape[1]:
        h = max(shape[0], 0 if buf is None else buf.shape[0])
        w = max(shape[1], 0 if buf is None else buf.shape[1])
        buf = _SOLID[color] = np.empty((h, w, 3), np.uint8)
        buf[:] = color
    return buf[: shape[0], : shape[1]]


def vertical_gradient(width: int, height: int, top: Color, bottom: Color) -> np.ndarray:
    """A BGR image fading from ``top`` to ``bottom``."""
    k = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    col = np.array(top, np.float32) * (1 - k) + np.array(bottom, np.float32) * k
    return np.repeat(col[:, None, :], width, axis=1).astype(np.uint8)
