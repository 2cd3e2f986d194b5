"""The upper body, shaded once: neck, jacket, lapels, shirt, scarf and badge as one sprite.

The flat polygons of the first avatar read as clip art beside the shaded face mesh.
Here the same shapes are baked once per screen scale into a lit image: each cloth
part is "inflated" from its outline (a height field from the distance to its edge,
normals from its slope) and wrap-lit from the face's key light, the lapels and the
head cast soft shadows, seams and a pocket welt are pressed into the cloth, a faint
weave keeps it from looking like plastic, and the badge carries the information sign.

A frame places the sprite with no warp: the body only rises and falls with the breath,
so the bake keeps :data:`PHASES` copies at quarter-pixel vertical offsets, and a frame
copies the opaque inside with one masked copy and blends only the few thousand pixels
of its anti-aliased outline.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from appliance.avatar import draw as d

LIGHT = np.array([-0.45, -0.55, 0.70])
"""Key light in screen axes (y down): from the upper left and in front, as the face's."""
PHASES = 4
"""Sub-pixel vertical positions baked (a quarter pixel apart): breathing glides."""
BREATH_PX = 3.0
"""Design units the body rises at the top of a breath (the head rises 2)."""


SHOULDER_LINE = np.array(d.bezier((66, 262), (160, 290), (290, 290), (330, 420), 14),
                         dtype=np.float64)
"""The jacket's right shoulder line, neck to arm (the left mirrors it; the sleeves tuck
under it, :mod:`arms`)."""


def _torso() -> np.ndarray:
    left_sh = SHOULDER_LINE * np.array([-1.0, 1.0])
    return np.concatenate([left_sh, [[-350, 1400], [350, 1400]], SHOULDER_LINE[::-1]])


TORSO = _torso()
SHIRT = np.array([[-74, 266], [74, 266], [0, 430]], dtype=np.float64)
LAPEL_L = np.array([[-74, 266], [-112, 300], [-36, 470], [0, 430]], dtype=np.float64)
LAPEL_R = LAPEL_L * np.array([-1.0, 1.0])
SCARF = np.array([[-44, 270], [44, 270], [0, 330]], dtype=np.float64)
NECK = np.array([[-62, 120], [62, 120], [70, 290], [0, 310], [-70, 290]], dtype=np.float64)
BADGE = (110.0, 500.0, 200.0, 532.0)
"""The badge's box (design units: left, top, right, bottom) on the wearer's left chest."""

# cloth colours (BGR): where the light falls fully, and in the form shadow
JACKET_LIT = np.array([150.0, 100.0, 48.0])
JACKET_DARK = np.array([74.0, 44.0, 18.0])
SHIRT_LIT = np.array([252.0, 252.0, 250.0])
SHIRT_DARK = np.array([196.0, 192.0, 196.0])
SCARF_LIT = np.array([80.0, 186.0, 255.0])
SCARF_DARK = np.array([24.0, 112.0, 214.0])
NECK_LIT = np.array([166.0, 194.0, 240.0])
NECK_DARK = np.array([104.0, 128.0, 192.0])


def _mask(size: tuple[int, int], polys: list[np.ndarray]) -> np.ndarray:
    """Anti-aliased coverage of ``polys`` (pixels) as float32 0..1."""
    m = np.zeros(size, np.uint8)
    for p in polys:
        d.fill(m, p, (255, 255, 255))
    return m.astype(np.float32) / 255.0


def wrap_lit(cover: np.ndarray, radius: float) -> np.ndarray:
    """Wrap-lit shade 0..1 of a part ``radius`` pixels thick at its edge: the part is
    raised into a rounded height field from the distance to its outline."""
    inside = (cover > 0.5).astype(np.uint8)
    dist = cv2.distanceTransform(inside, cv2.DIST_L2, 5)
    u = np.clip(dist / radius, 0.0, 1.0)
    height = radius * np.sqrt(1.0 - (1.0 - u) ** 2)
    height = cv2.GaussianBlur(height, (0, 0), max(1.0, radius * 0.12))
    gy, gx = np.gradient(height)
    n = np.stack([-gx, -gy, np.ones_like(gx)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    light = LIGHT / np.linalg.norm(LIGHT)
    return np.clip((n @ light + 0.5) / 1.5, 0.0, 1.0).astype(np.float32)


def _soft(cover: np.ndarray, dx: float, dy: float, sigma: float) -> np.ndarray:
    """``cover`` moved by (dx, dy) pixels and blurred: a soft cast shadow."""
    mat = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    moved = cv2.warpAffine(cover, mat, (cover.shape[1], cover.shape[0]))
    return cv2.GaussianBlur(moved, (0, 0), sigma)


def _over(canvas: np.ndarray, colour: np.ndarray, cover: np.ndarray) -> None:
    """Paint a float BGR ``colour`` image (or one colour) over ``canvas`` by ``cover``."""
    canvas *= 1.0 - cover[..., None]
    canvas += colour * cover[..., None]


def _ramp(shade: np.ndarray, dark: np.ndarray, lit: np.ndarray) -> np.ndarray:
    return dark + (lit - dark) * shade[..., None]


@dataclass(frozen=True)
class _Phase:
    bgr: np.ndarray
    solid: np.ndarray
    """uint8 mask of the opaque pixels (copied)."""
    edge: tuple[np.ndarray, np.ndarray, np.ndarray]
    """Rows, columns and alpha (0..1) of the partly covered pixels (blended)."""


class BodySprite:
    """The shaded upper body for one painter scale; :meth:`paint` places it."""

    def __init__(self, scale: float) -> None:
        self.s = scale
        pts = np.concatenate([TORSO, NECK]) * scale
        self.origin = -np.floor(pts.min(axis=0)) + 4
        """The sprite pixel where the design origin falls."""
        w, h = (np.ceil(pts.max(axis=0)) + self.origin + 4).astype(int)
        self.size = (int(h), int(w))
        bgr, alpha = self._bake()
        self.phases = [self._phase(bgr, alpha, k / PHASES) for k in range(PHASES)]

    def px(self, pts: np.ndarray) -> np.ndarray:
        """Design units -> sprite pixels."""
        return pts * self.s + self.origin

    def _bake(self) -> tuple[np.ndarray, np.ndarray]:
        s, size = self.s, self.size
        neck = _mask(size, [self.px(NECK)])
        torso = _mask(size, [self.px(TORSO)])
        lapels = _mask(size, [self.px(LAPEL_L), self.px(LAPEL_R)])
        shirt = _mask(size, [self.px(SHIRT)])
        scarf = _mask(size, [self.px(SCARF)])
        rows = np.arange(size[0], dtype=np.float32)[:, None] - self.origin[1]
        canvas = np.zeros((*size, 3), np.float32)

        # the neck: a cylinder, darker up under the jaw (the head's shadow)
        under_jaw = np.clip((rows / s - 215.0) / 75.0, 0.0, 1.0) ** 0.8
        neck_shade = wrap_lit(neck, 80 * s) * (0.2 + 0.8 * under_jaw)
        _over(canvas, _ramp(neck_shade, NECK_DARK, NECK_LIT), neck)

        # the jacket: lit from the upper left, darker toward the desk
        shade = wrap_lit(torso, 120 * s) * (1.0 - 0.22 * np.clip((rows / s - 450) / 700, 0, 1))
        shade *= 1.0 - 0.45 * _soft(lapels, 3 * s, 6 * s, 5 * s) * (1 - lapels)
        jacket = _ramp(shade, JACKET_DARK, JACKET_LIT)
        jacket *= self._weave(s)[..., None]
        _over(canvas, jacket, torso)
        self._press_seams(canvas, torso)

        # the shirt in the V, shadowed by the lapels and the chin
        chin = _soft(_mask(size, [self.px(d.ellipse(0, 262, 90, 40))]), 0, 0, 14 * s)
        shirt_shade = 0.85 - 0.5 * _soft(lapels, 4 * s, 5 * s, 4 * s) - 0.45 * chin
        _over(canvas, _ramp(np.clip(shirt_shade, 0, 1), SHIRT_DARK, SHIRT_LIT), shirt)
        scarf_shade = wrap_lit(scarf, 14 * s) * (1.0 - 0.5 * chin)
        _over(canvas, _ramp(scarf_shade, SCARF_DARK, SCARF_LIT), scarf)
        self._scarf_folds(canvas, scarf)

        # the lapels: raised folds of the jacket over the shirt
        lapel_shade = wrap_lit(lapels, 16 * s) * 0.9
        _over(canvas, _ramp(lapel_shade, JACKET_DARK * 0.9, JACKET_LIT * 0.92), lapels)
        self._badge(canvas)
        alpha = np.clip(np.maximum.reduce([torso, neck, lapels]), 0.0, 1.0)
        return np.clip(canvas, 0, 255), alpha

    def _weave(self, s: float) -> np.ndarray:
        """A faint fixed cloth texture (multiplier ~1 +- 1.5 %)."""
        rng = np.random.default_rng(7)
        noise = rng.standard_normal(self.size).astype(np.float32)
        grain = cv2.GaussianBlur(noise, (0, 0), max(0.6, 0.9 * s))
        return 1.0 + 0.015 * grain / max(float(grain.std()), 1e-6)

    def _press_seams(self, canvas: np.ndarray, torso: np.ndarray) -> None:
        """Sleeve seams, the front edge with two buttons, a pocket welt: a dark line with
        a lit lip above it, as cloth pressed at a seam."""
        s = self.s
        lines = [np.array([[side * 262.0, 500], [side * 276, 900], [side * 282, 1400]])
                 for side in (-1, 1)]
        lines.append(np.array([[0.0, 470], [2.0, 1400]]))
        lines.append(np.array([[96.0, 560], [214.0, 556]]))
        soft_dark = self._soft_lines(lines, 3.2 * s, 1.2 * s) * torso
        soft_lit = self._soft_lines([ln + np.array([-3.0, -3.0]) for ln in lines],
                                    2.0 * s, 1.0 * s) * torso
        canvas *= (1.0 - 0.5 * soft_dark)[..., None]
        canvas += (soft_lit * 18.0)[..., None]
        for y in (610.0, 820.0):  # buttons on the front edge
            c = self.px(np.array([[-14.0, y]]))[0]
            button = _mask(self.size, [d.ellipse(c[0], c[1], 13 * s, 13 * s)])
            ring = wrap_lit(button, 6 * s)
            _over(canvas, _ramp(ring, JACKET_DARK * 0.7, JACKET_LIT * 1.1), button * torso)

    def _scarf_folds(self, canvas: np.ndarray, scarf: np.ndarray) -> None:
        folds = [d.bezier((x0, 274), (x0 * 0.8, 290), (x0 * 0.4, 305), (x0 * 0.1, 322), 8)
                 for x0 in (-22.0, 4.0, 24.0)]
        soft = self._soft_lines(folds, 2.0 * self.s, 2.2 * self.s) * scarf
        canvas *= (1.0 - 0.22 * soft)[..., None]

    def _soft_lines(self, lines: list[np.ndarray], width: float, sigma: float) -> np.ndarray:
        """``lines`` (design units) stroked ``width`` pixels wide and blurred, 0..1."""
        m = np.zeros(self.size, np.uint8)
        for line in lines:
            d.stroke(m, self.px(line), (255, 255, 255), width)
        return cv2.GaussianBlur(m.astype(np.float32) / 255, (0, 0), sigma)

    def _badge(self, canvas: np.ndarray) -> None:
        """A white plate with the accent stripe and the information sign (language
        neutral: the kiosk's job, not a name), on a soft drop shadow."""
        s = self.s
        x0, y0, x1, y1 = BADGE
        plate = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        cover = _mask(self.size, [self.px(plate)])
        canvas *= (1.0 - 0.45 * _soft(cover, 2 * s, 4 * s, 3 * s) * (1 - cover))[..., None]
        tilt = np.clip((np.arange(self.size[0], dtype=np.float32)[:, None] - self.origin[1]
                        - y0 * s) / ((y1 - y0) * s), 0, 1)
        _over(canvas, _ramp(1.0 - 0.25 * tilt, SHIRT_DARK, SHIRT_LIT), cover)
        stripe = np.array([[x0, y0], [x0 + 18, y0], [x0 + 18, y1], [x0, y1]])
        _over(canvas, np.array(d.ACCENT, np.float32), _mask(self.size, [self.px(stripe)]))
        cx, cy = (x0 + 18 + x1) / 2.0, (y0 + y1) / 2.0
        r = (y1 - y0) * 0.36
        disc = _mask(self.size, [self.px(d.ellipse(cx, cy, r, r))])
        _over(canvas, JACKET_LIT * 0.8, disc)
        dot = _mask(self.size, [self.px(d.ellipse(cx, cy - r * 0.48, r * 0.15, r * 0.15))])
        bar = np.array([[cx - r * 0.12, cy - r * 0.18], [cx + r * 0.12, cy - r * 0.18],
                        [cx + r * 0.12, cy + r * 0.62], [cx - r * 0.12, cy + r * 0.62]])
        glyph = np.maximum(dot, _mask(self.size, [self.px(bar)]))
        _over(canvas, SHIRT_LIT, glyph)

    def _phase(self, bgr: np.ndarray, alpha: np.ndarray, dy: float) -> _Phase:
        """The sprite moved down by ``dy`` of a pixel, split for :meth:`paint`."""
        mat = np.array([[1, 0, 0], [0, 1, dy]], np.float32)
        size = (bgr.shape[1], bgr.shape[0])
        premul = cv2.warpAffine(bgr * alpha[..., None], mat, size, flags=cv2.INTER_LINEAR)
        a = cv2.warpAffine(alpha, mat, size, flags=cv2.INTER_LINEAR)
        colour = premul / np.maximum(a, 1e-6)[..., None]
        solid = a >= 254.5 / 255.0
        ys, xs = np.nonzero((a > 0.5 / 255.0) & ~solid)
        return _Phase(np.clip(colour + 0.5, 0, 255).astype(np.uint8),
                      solid.astype(np.uint8) * 255,
                      (ys.astype(np.int32), xs.astype(np.int32), a[ys, xs][:, None]))

    def paint(self, img: np.ndarray, x: float, y: float) -> None:
        """Draw the body with the design origin at screen pixel (``x``, ``y``)."""
        top = y - self.origin[1]
        iy = math.floor(top)
        k = round((top - iy) * PHASES)
        if k == PHASES:
            iy, k = iy + 1, 0
        phase = self.phases[k]
        ix = round(x - self.origin[0])
        h, w = self.size
        x0, y0 = max(ix, 0), max(iy, 0)
        x1, y1 = min(ix + w, img.shape[1]), min(iy + h, img.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        src = phase.bgr[y0 - iy : y1 - iy, x0 - ix : x1 - ix]
        mask = phase.solid[y0 - iy : y1 - iy, x0 - ix : x1 - ix]
        dst = img[y0:y1, x0:x1]  # a view: the copy writes the frame in place
        cv2.copyTo(src, mask, dst)
        ys, xs, a = phase.edge
        ys, xs = ys + iy, xs + ix
        keep = (ys >= 0) & (ys < img.shape[0]) & (xs >= 0) & (xs < img.shape[1])
        ys, xs, a = ys[keep], xs[keep], a[keep]
        fg = phase.bgr[ys - iy, xs - ix].astype(np.float32)
        img[ys, xs] = (fg * a + img[ys, xs].astype(np.float32) * (1.0 - a) + 0.5
                       ).astype(np.uint8)


@functools.lru_cache(maxsize=4)
def body_sprite(scale: float) -> BodySprite:
    """The baked body for a painter of ``scale`` (cached: a bake takes a fraction of a
    second)."""
    return BodySprite(scale)
