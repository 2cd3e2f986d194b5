"""The 2.5-D face: a human face mesh shaded once, then warped per frame by its rig.

:class:`MeshFace` bakes the neutral face at one size (a per-pixel z-buffer raster of
the mesh with smooth normals, wrap-lit skin, crevice shadow from the depth, lips, brows,
lash lines), leaving openings where the eyes and the mouth are. Each frame moves the
baked image by the rig's vertex displacements in one dense warp (:class:`DenseWarp`),
then paints the mouth's inside and the eyes into the moved openings: jaw, lips, lids and
brows move the real skin and its shading, with no per-frame lighting.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import cv2
import numpy as np

from appliance.avatar import draw as d
from appliance.avatar.facerig import (
    BROW_LOWER,
    BROW_UPPER,
    EYE_LEVEL,
    EYE_LOWER,
    EYE_UPPER,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    MESH_PATH,
    FaceMesh,
    FacePose,
    FaceRig,
    load_face_mesh,
)

DESIGN_PX_PER_CM = 20.0
"""Mesh cm -> the painter's design units (the drawn head is 380 units wide)."""
LIGHT = np.array([-0.45, 0.55, 0.70])
"""Key light from the upper left and in front, as the drawn face's shading."""
SKIN_LIT = np.array([178.0, 204.0, 246.0])
SKIN_SHADOW = np.array([100.0, 122.0, 190.0])
"""BGR skin where the light falls fully, and in the form shadow (warmer, redder)."""
LIP_BGR = np.array([108.0, 108.0, 198.0])
"""Lips: kept out of the lip-sync check's tongue colour (``sync.mouth_openness``)."""
BROW_BGR = np.array([62.0, 50.0, 60.0])
IRIS_RIM: d.Color = (40, 52, 70)
"""The iris's darker limbal ring (its middle is :data:`draw.IRIS`)."""
IRIS_LIGHT: d.Color = (90, 120, 160)
"""Light through the iris below the pupil (warm brown)."""
SKIN_EDGE: d.Color = (152, 178, 228)
"""The skin where the mesh meets the drawn head (and the head's own fill): the mesh's
mid-tone, so the seam shows no rim."""
IRIS_CM = 0.74
"""The iris's radius (an adult's is ~0.6 cm; the eyes are drawn larger)."""
TOOTH_GAP: d.Color = (196, 198, 210)
"""The faint line between two front teeth."""
EDGE_CM = 0.45
"""The feather (cm of face) where the mesh meets the drawn head around it."""


def _raster(px: np.ndarray, attrs: np.ndarray, faces: np.ndarray, size: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Z-buffered barycentric raster: per pixel, the attributes interpolated from the
    nearest triangle (``attrs[:, 0]`` is depth, larger nearer), and a coverage mask."""
    h, w = size
    zbuf = np.full((h, w), -np.inf)
    out = np.zeros((h, w, attrs.shape[1]))
    for tri in faces:
        p = px[tri]
        x0, y0 = np.maximum(np.floor(p.min(axis=0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(p.max(axis=0)).astype(int), [w - 1, h - 1])
        if x1 < x0 or y1 < y0:
            continue
        xs, ys = np.meshgrid(np.arange(x0, x1 + 1) + 0.5, np.arange(y0, y1 + 1) + 0.5)
        (ax, ay), (bx, by), (cx, cy) = p
        den = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
        if abs(den) < 1e-12:
            continue
        l0 = ((by - cy) * (xs - cx) + (cx - bx) * (ys - cy)) / den
        l1 = ((cy - ay) * (xs - cx) + (ax - cx) * (ys - cy)) / den
        lam = np.stack([l0, l1, 1 - l0 - l1], axis=-1)
        inside = (lam >= -1e-6).all(axis=-1)
        val = lam[inside] @ attrs[tri]
        yy, xx = (ys[inside] - 0.5).astype(int) , (xs[inside] - 0.5).astype(int)
        nearer = val[:, 0] > zbuf[yy, xx]
        yy, xx, val = yy[nearer], xx[nearer], val[nearer]
        zbuf[yy, xx] = val[:, 0]
        out[yy, xx] = val
    return out, np.isfinite(zbuf)


def _shade(hi: np.ndarray, cover: np.ndarray, flat: np.ndarray, px_per_cm: float
           ) -> np.ndarray:
    """BGR skin from the raster's depth and normals: wrap-lit from :data:`LIGHT`, darker
    in crevices (the depth below its blurred surroundings), a faint sheen; toward the
    silhouette (``flat`` -> 0) the plain :data:`SKIN_EDGE`, so no dark rim shows."""
    n = hi[..., 1:]
    n[~cover] = (0.0, 0.0, 1.0)  # the openings: plain skin, so warps that reach in blend
    n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-9)
    light = LIGHT / np.linalg.norm(LIGHT)
    wrap = np.clip((n @ light + 0.45) / 1.45, 0.0, 1.0)
    depth = np.where(cover, hi[..., 0], hi[..., 0][cover].min())
    crevice = cv2.GaussianBlur(depth.astype(np.float32), (0, 0), 0.25 * px_per_cm) - depth
    ao = np.clip(1.0 - np.clip(crevice, 0, None) / (0.35 * px_per_cm), 0.45, 1.0)
    lit = (wrap * ao)[..., None]
    col = SKIN_SHADOW + (SKIN_LIT - SKIN_SHADOW) * (0.1 + 0.9 * lit)
    col = col * flat + np.array(SKIN_EDGE, np.float64) * (1.0 - flat)
    halfway = light + np.array([0.0, 0.0, 1.0])
    sheen = np.clip(n @ (halfway / np.linalg.norm(halfway)), 0, 1) ** 40 * 28.0
    return np.clip(col + sheen[..., None] * flat, 0, 255)


class MeshFace:
    """The baked face at ``px_per_cm`` pixels per mesh cm, and its per-frame render."""

    def __init__(self, px_per_cm: float, mesh: FaceMesh | None = None) -> None:
        self.mesh = mesh or load_face_mesh()
        self.rig = FaceRig(self.mesh)
        self.k = px_per_cm
        v = self.mesh.vertices
        pad = 2.0 * self.k
        self.origin = np.array([v[:, 0].min() * self.k - pad, -v[:, 1].max() * self.k - pad])
        w = math.ceil((v[:, 0].max() - v[:, 0].min()) * self.k + 2 * pad)
        h = math.ceil((v[:, 1].max() - v[:, 1].min() + self.rig.JAW_DROP) * self.k + 2 * pad)
        self.size = (h, w)
        self.neutral = self.to_px(v[:, :2])
        holes = self.mesh.openings()
        self.skin_faces = self.mesh.faces[~holes]
        self.base = self._bake()
        self.base_smile = self._with_shade(self._smile_shade())
        self.base_worry = self._with_shade(self._worry_shade())
        self._mixed: tuple[tuple[float, float], np.ndarray] | None = None
        self._eye_setup()
        self.warp = DenseWarp(self.neutral, self.mesh.faces, self.size, self.k)

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        """Mesh (x, y up) -> pixels of the face image."""
        return np.stack([xy[:, 0] * self.k, -xy[:, 1] * self.k], axis=1) - self.origin

    def _bake(self) -> np.ndarray:
        """The neutral face, BGRA, opaque over its openings (painted every frame) and
        feathered at its silhouette into the drawn head around it."""
        ss = 2  # rendered at twice the size, then averaged down: anti-aliased edges
        attrs = np.concatenate([self.mesh.vertices[:, 2:3] * self.k, self.mesh.normals], axis=1)
        hi, cover = _raster(self.neutral * ss, attrs, self.skin_faces,
                            (self.size[0] * ss, self.size[1] * ss))
        solid = np.zeros(cover.shape, np.uint8)  # the face's silhouette, openings included
        for tri in self.mesh.faces:
            cv2.fillConvexPoly(solid, d.fixed(self.neutral[tri] * ss), 1, cv2.LINE_8, d.SHIFT)
        # 0 at the silhouette, 1 a feather's width inside it
        edge = cv2.distanceTransform(solid, cv2.DIST_L2, 5) / (EDGE_CM * self.k * ss)
        col = _shade(hi, cover, np.clip(edge / 2, 0.0, 1.0)[..., None], self.k * ss)
        img = cv2.resize(col.astype(np.float32), self.size[::-1], interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(solid.astype(np.float32) * np.clip(edge, 0, 1), self.size[::-1],
                           interpolation=cv2.INTER_AREA)
        img = self._paint_features(img)
        return np.dstack([np.clip(img, 0, 255), alpha * 255.0]).astype(np.uint8)

    # --- wrinkle maps: what a smile or a worried brow does to the skin's shading ---------

    def _with_shade(self, shade: np.ndarray) -> np.ndarray:
        """The baked face with its colour multiplied by ``shade`` (alpha kept)."""
        out = self.base.copy()
        out[..., :3] = np.clip(self.base[..., :3] * shade[..., None], 0, 255).astype(np.uint8)
        return out

    def _lines(self, curves: list[np.ndarray], width_cm: float, blur_cm: float) -> np.ndarray:
        """Soft lines through ``curves`` (mesh cm, y up) as a 0..1 map of the face image."""
        m = np.zeros(self.size, np.float32)
        for c in curves:
            cv2.polylines(m, [d.fixed(self.to_px(c))], False, 1.0,
                          max(1, round(width_cm * self.k)), d.AA, d.SHIFT)
        return cv2.GaussianBlur(m, (0, 0), max(0.5, blur_cm * self.k))

    def _smile_shade(self) -> np.ndarray:
        """A smile: the folds from the nose's wings to past the mouth's corners deepen,
        the cheeks above them round out and catch the light, the lower lids crease."""
        folds, lit = [], []
        for side in (-1.0, 1.0):
            fold = np.array(d.bezier((1.9, -1.05), (2.55, -1.9), (2.85, -3.0), (2.75, -3.95), 14))
            fold[:, 0] *= side
            folds.append(fold)
            lit.append(fold + np.array([side * 0.35, 0.25]))
        dark = self._lines(folds, 0.1, 0.1)
        light = self._lines(lit, 0.35, 0.3)
        cheeks = np.zeros(self.size, np.float32)
        for idx in (205, 425):
            c = self.to_px(self.mesh.vertices[[idx], :2] + np.array([[0.0, 0.45]]))[0]
            cv2.circle(cheeks, (int(c[0]), int(c[1])), max(1, round(0.9 * self.k)), 1.0, -1)
        cheeks = cv2.GaussianBlur(cheeks, (0, 0), 0.6 * self.k)
        lids = [self.mesh.vertices[list(ring), :2] + np.array([0.0, -0.32])
                for ring in EYE_LOWER]
        crease = self._lines(lids, 0.06, 0.06)
        return 1.0 - 0.2 * dark + 0.08 * light + 0.07 * cheeks - 0.12 * crease

    def _worry_shade(self) -> np.ndarray:
        """Inner brows up (worry, sympathy): short lines across the middle of the
        forehead, arched where the brows pull them up."""
        lines = [np.array(d.bezier((-1.7, y - 0.15), (-0.6, y + 0.2), (0.6, y + 0.2),
                                   (1.7, y - 0.15), 12)) for y in (5.75, 6.3)]
        return 1.0 - 0.14 * self._lines(lines, 0.07, 0.08)

    def _source(self, smile: float, worry: float) -> np.ndarray:
        """The baked face with the wrinkles of this much smile and worry (one or two
        blends of the face image, reused while the amounts stay)."""
        # a friendly resting face (smile ~0.2) shows no folds: they come with a real smile
        a = round(float(np.clip((smile - 0.2) / 0.6, 0, 1)), 2)
        b = round(float(np.clip(worry, 0, 1)), 2)
        if a < 0.05 and b < 0.05:
            return self.base
        if self._mixed is not None and self._mixed[0] == (a, b):
            return self._mixed[1]
        out = cv2.addWeighted(self.base, 1.0 - a, self.base_smile, a, 0.0) if a >= 0.05 \
            else self.base.copy()
        if b >= 0.05:
            cv2.addWeighted(out, 1.0 - b, self.base_worry, b, 0.0, dst=out)
        self._mixed = ((a, b), out)
        return out

    def _region(self, rings: list[np.ndarray], blur: float) -> np.ndarray:
        """A soft 0..1 mask over the polygon through the neutral points of ``rings``."""
        mask = np.zeros(self.size, np.float32)
        pts = np.concatenate(rings)
        cv2.fillPoly(mask, [d.fixed(pts)], 1.0, d.AA, d.SHIFT)
        return cv2.GaussianBlur(mask, (0, 0), max(0.5, blur * self.k))

    def _paint_features(self, img: np.ndarray) -> np.ndarray:
        """Lips, brows and lash lines into the baked skin (they move with its warps)."""
        p = self.neutral
        # warmth where the blood is near the skin: cheeks, the nose's tip, the chin
        spots = np.zeros(self.size, np.float32)
        for idx, r in ((205, 1.3), (425, 1.3), (4, 0.6), (199, 0.9)):
            cv2.circle(spots, (int(p[idx, 0]), int(p[idx, 1])), max(1, round(r * self.k)), 1.0, -1)
        warm = cv2.GaussianBlur(spots, (0, 0), 0.6 * self.k)[..., None]
        img = img * (1 - 0.22 * warm) + img * np.array([0.86, 0.86, 1.0]) * 0.22 * warm
        lips = self._region([p[list(LIPS_OUTER_UPPER)], p[list(LIPS_OUTER_LOWER)][::-1]], 0.06)
        upper = self._region([p[list(LIPS_OUTER_UPPER)], p[list(LIPS_INNER_UPPER)][::-1]], 0.04)
        lip_col = LIP_BGR * (1.0 - 0.08 * upper[..., None])  # the upper lip faces down
        # never as dark as the mouth's inside: the seam is not an open mouth
        shade = np.clip(img.mean(axis=-1, keepdims=True) / SKIN_LIT.mean(), 0.85, 1.0)
        img = img * (1 - lips[..., None]) + lip_col * shade * lips[..., None]
        # the opening itself: the lips' dark inner edge, so where a warp stretches it past
        # the painted mouth (the corners, the anti-aliased rim) it reads as lip, not skin
        gap = self._region([p[list(LIPS_INNER_UPPER)], p[list(LIPS_INNER_LOWER)][::-1]], 0.02)
        img = img * (1 - gap[..., None]) + np.array(d.LIP_LINE) * gap[..., None]
        for side in (0, 1):
            low = p[list(BROW_LOWER[side])]
            # the hairs sit in the lower part of the brow ridge, thinning to the outer end
            reach = np.array([0.35, 0.45, 0.55, 0.62, 0.62])[:, None]
            top = low + reach * (p[list(BROW_UPPER[side])] - low)
            brow = self._region([top, low[::-1]], 0.05)
            img = img * (1 - 0.8 * brow[..., None]) + BROW_BGR * 0.8 * brow[..., None]
            lash = np.zeros(self.size, np.float32)
            cv2.polylines(lash, [d.fixed(p[list(EYE_UPPER[side])])], False, 1.0,
                          max(1, round(0.16 * self.k)), d.AA, d.SHIFT)
            line = np.zeros(self.size, np.float32)
            fold = p[list(EYE_UPPER[side])][1:-1] + np.array([0.0, -0.38 * self.k])
            cv2.polylines(line, [d.fixed(fold)], False, 1.0, max(1, round(0.1 * self.k)),
                          d.AA, d.SHIFT)
            crease = cv2.GaussianBlur(line, (0, 0), 0.08 * self.k)
            img = img * (1 - 0.25 * crease[..., None]) + SKIN_SHADOW * 0.25 * crease[..., None]
            img = img * (1 - lash[..., None]) + np.array(d.INK) * lash[..., None]
        return img

    # --- per frame --------------------------------------------------------------------

    def render(self, pose: FacePose, gaze: tuple[float, float] = (0.0, 0.0),
               teeth: float = 0.0, tongue: float = 0.0) -> np.ndarray:
        """The face in ``pose`` (BGRA, this face's :attr:`size`)."""
        return self.render_points(self.rig.deform(pose), gaze, teeth, tongue,
                                  smile=pose.smile, worry=pose.brow_inner)

    def render_points(self, cm: np.ndarray, gaze: tuple[float, float] = (0.0, 0.0),
                      teeth: float = 0.0, tongue: float = 0.0, smile: float = 0.0,
                      worry: float = 0.0) -> np.ndarray:
        """The face with its vertices at ``cm`` (from :meth:`FaceRig.deform`); ``smile``
        and ``worry`` (the inner brows up) deepen their wrinkles."""
        pts = self.to_px(cm)
        out = self.warp.apply(self._source(smile, worry), pts - self.neutral)
        self._paint_mouth(out, pts, teeth, tongue)
        for side in (0, 1):
            self._paint_eye(out, pts, side, gaze)
        return out

    def _paint_mouth(self, out: np.ndarray, pts: np.ndarray, teeth: float, tongue: float) -> None:
        inner = np.concatenate([pts[list(LIPS_INNER_UPPER)], pts[list(LIPS_INNER_LOWER)][::-1]])
        bottom = pts[list(LIPS_INNER_LOWER), 1].max()
        # the rings run corner to corner in step: the widest gap says whether it is open
        gap = (pts[list(LIPS_INNER_LOWER), 1] - pts[list(LIPS_INNER_UPPER), 1]).max()
        if gap < 1.0:
            return
        self._shade_corners(out, pts, gap)
        # everything below is clipped to the opening: work in its box only
        bx0, by0 = np.maximum(np.floor(inner.min(axis=0)).astype(int) - 2, 0)
        bx1, by1 = np.ceil(inner.max(axis=0)).astype(int) + 3
        out = out[by0:by1, bx0:bx1]
        o = np.array([bx0, by0], np.float64)
        inner, pts, bottom = inner - o, pts - o, bottom - by0
        cv2.fillPoly(out, [d.fixed(inner)], (*d.MOUTH, 255), d.AA, d.SHIFT)
        x0, x1 = inner[:, 0].min(), inner[:, 0].max()
        clip = np.zeros(out.shape[:2], np.uint8)
        cv2.fillPoly(clip, [d.fixed(inner)], 255, cv2.LINE_8, d.SHIFT)
        layer = out.copy()
        cx, w = (x0 + x1) / 2, (x1 - x0)
        # the tongue's tip: behind the lower teeth, forward for th, d, n
        ry = (0.12 + 0.25 * tongue) * self.k
        ty = bottom + 0.1 * self.k - ry * (0.6 + 0.8 * tongue)
        axes = (max(1, round(w * 0.28)), max(1, round(ry)))
        cv2.ellipse(layer, (round(cx), round(ty + ry)), axes, 0, 180, 360, (*d.TONGUE, 255),
                    -1, d.AA)
        if teeth > 0.05:
            # as much tooth as the opening allows: a parted mouth shows an edge of them
            room = min(1.0, gap / (0.7 * self.k))
            th = (0.28 + 0.22 * teeth) * self.k * room
            self._upper_teeth(layer, pts[list(LIPS_INNER_UPPER)], x0, x1, th)
        out[clip > 0] = layer[clip > 0]

    def _shade_corners(self, out: np.ndarray, pts: np.ndarray, gap: float) -> None:
        """The shadow in each corner of an open mouth (where the lips fold in; it also
        hides the warp's fold there)."""
        k = self.k
        depth = 0.95 * min(1.0, gap / (0.5 * k))
        for corner in (LIPS_INNER_UPPER[0], LIPS_INNER_UPPER[-1]):
            cx, cy = pts[corner] + (0.0, 0.12 * k)  # the fold opens downward with the jaw
            rx, ry = 0.42 * k, 0.38 * k
            x0, y0 = max(int(cx - 2 * rx), 0), max(int(cy - 2 * ry), 0)
            x1 = min(int(cx + 2 * rx) + 1, out.shape[1])
            y1 = min(int(cy + 2 * ry) + 1, out.shape[0])
            if x1 <= x0 or y1 <= y0:
                continue
            yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
            w = depth * np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2))
            patch = out[y0:y1, x0:x1, :3].astype(np.float32)
            patch += (np.array(d.LIP_LINE, np.float32) - patch) * w[..., None]
            out[y0:y1, x0:x1, :3] = patch.astype(np.uint8)

    @staticmethod
    def _upper_teeth(layer: np.ndarray, edge: np.ndarray, x0: float, x1: float,
                     th: float) -> None:
        """The upper teeth: a band ``th`` pixels down from the upper lip's inner ``edge``,
        tapering to nothing short of the corners, with the gaps between the front teeth
        (what makes a white band read as teeth)."""
        cx, half = (x0 + x1) / 2, max(1.0, (x1 - x0) / 2) * 0.8
        off = (edge[:, 0] - cx) / half
        keep = np.abs(off) < 1.0  # a band of no width still leaves an anti-aliased line
        if keep.sum() < 2:
            return
        edge, taper = edge[keep], 1 - off[keep] ** 2
        down = np.stack([np.zeros(len(taper)), taper], axis=1)
        band = np.concatenate([edge - 4 * down, (edge + th * down)[::-1]])
        cv2.fillPoly(layer, [d.fixed(band)], (*d.TEETH, 255), d.AA, d.SHIFT)
        for u in (0.0, -0.22, 0.22, -0.4, 0.4):  # u: of the band's width from its middle
            x = cx + 2 * u * half
            y = float(np.interp(x, edge[:, 0], edge[:, 1]))
            t = th * (1 - (2 * u) ** 2) * 0.9
            if t >= 2.0:
                ends = d.fixed(np.array([[x, y], [x, y + t]]))
                cv2.line(layer, tuple(ends[0]), tuple(ends[1]), (*TOOTH_GAP, 255), 1, d.AA,
                         d.SHIFT)

    def _paint_eye(self, out: np.ndarray, pts: np.ndarray, side: int,
                   gaze: tuple[float, float]) -> None:
        n_up = len(EYE_UPPER[side])
        ring = _smooth_ring(np.concatenate([pts[list(EYE_UPPER[side])],
                                            pts[list(EYE_LOWER[side])][::-1][1:-1]]), n_up)
        upper = ring[: len(ring) // 2 + 1]
        if _opening_px(pts, side) >= 1.5:
            (x0, y0), white, (cx, cy) = self._eye_boxes[side]
            # the box follows the eye's corners (a head turn moves them; a blink does not)
            corners = list(EYE_UPPER[side][:: len(EYE_UPPER[side]) - 1])
            dx, dy = np.round((pts[corners] - self.neutral[corners]).mean(axis=0))
            x0, y0, cx, cy = int(x0 + dx), int(y0 + dy), cx + dx, cy + dy
            patch = white.copy()  # the white, shaded toward the corners
            iris, r = self._iris
            ix = cx + gaze[0] * 0.35 * self.k - x0 - r
            iy = cy + gaze[1] * 0.18 * self.k - y0 - r
            d.blend_patch(patch, round(ix), round(iy), iris, iris[..., 3])
            o = np.array([x0, y0], np.float64)
            # the upper lid's shadow on the eye
            cv2.polylines(patch, [d.fixed(upper - o + [0, 0.12 * self.k])], False,
                          (150, 150, 170, 255), max(1, round(0.3 * self.k)), d.AA, d.SHIFT)
            mask = np.zeros(patch.shape[:2], np.uint8)
            cv2.fillPoly(mask, [d.fixed(ring - o)], 255, d.AA, d.SHIFT)
            d.blend_patch(out, x0, y0, patch, mask)
        # the lash line along the upper lid (thicker toward the outer corner), the lower rim
        k = self.k
        outer = upper if side == 0 else upper[::-1]
        lash = [d.fixed(outer[: max(2, int(len(outer) * 0.88))])]
        cv2.polylines(out, lash, False, (*d.INK, 255), max(1, round(0.08 * k)), d.AA, d.SHIFT)
        cv2.polylines(out, [d.fixed(outer[: max(2, int(len(outer) * 0.45))])], False,
                      (*d.INK, 255), max(1, round(0.15 * k)), d.AA, d.SHIFT)
        cv2.polylines(out, [d.fixed(ring[len(ring) // 2:])], False, (120, 136, 190, 255),
                      max(1, round(0.05 * k)), d.AA, d.SHIFT)

    def _eye_setup(self) -> None:
        """Per eye, a fixed box the opening always fits in (lids up to wide open) with its
        white already shaded, and one iris sprite: a frame only places them."""
        k = self.k
        boxes = []
        for side in (0, 1):
            ring = self.neutral[list(EYE_UPPER[side]) + list(EYE_LOWER[side])]
            # a little above the opening's middle: the upper lid covers the iris's top,
            # as in a relaxed face (a whole iris ringed with white stares)
            cx, cy = ring[:, 0].mean(), ring[:, 1].mean() - 0.1 * k
            margin_lo, margin_hi = np.array([0.3 * k, 1.0 * k]), np.array([0.3 * k, 0.5 * k])
            x0, y0 = np.floor(ring.min(axis=0) - margin_lo).astype(int)
            x1, y1 = np.ceil(ring.max(axis=0) + margin_hi).astype(int)
            xx = np.arange(x0, x1, dtype=np.float32)[None, :]
            edge = np.clip(np.abs(xx - cx) / (0.5 * (x1 - x0)), 0, 1)
            white = np.array([218.0, 222.0, 234.0]) - 60.0 * edge[..., None] ** 1.5
            patch = np.empty((y1 - y0, x1 - x0, 4), np.uint8)
            patch[..., :3] = np.broadcast_to(white, (y1 - y0, x1 - x0, 3))
            patch[..., 3] = 255
            boxes.append(((int(x0), int(y0)), patch, (float(cx), float(cy))))
        self._eye_boxes = boxes
        # the eyes are drawn 30 % larger than the average face's (EYE_SCALE); the iris
        # grows with them, or the white shows all round it
        self._iris = _iris_sprite(IRIS_CM * k)

def _iris_sprite(r: float) -> tuple[np.ndarray, float]:
    """The iris (darker at its rim, lit below the pupil), the pupil and a catchlight, as
    BGRA with the iris's alpha; and the radius it was drawn at."""
    size = int(np.ceil(2 * r)) + 2
    c = size / 2.0
    f = 8  # OpenCV's fixed-point shift 3: coordinates times 8
    sprite = np.zeros((size, size, 4), np.uint8)
    centre = (round(c * f), round(c * f))
    cv2.circle(sprite, centre, round(r * f), (*IRIS_RIM, 255), -1, d.AA, d.SHIFT)
    cv2.circle(sprite, centre, round(r * 0.86 * f), (*d.IRIS, 255), -1, d.AA, d.SHIFT)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    glow = np.exp(-((xx - c) ** 2 + (yy - c - 0.25 * r) ** 2) / (2 * (0.35 * r) ** 2))
    inner = (np.hypot(xx - c, yy - c) < 0.8 * r)[..., None]
    lit = sprite[..., :3] + (np.array(IRIS_LIGHT) - np.array(d.IRIS)) * glow[..., None] * 0.6
    sprite[..., :3] = np.where(inner, np.clip(lit, 0, 255), sprite[..., :3]).astype(np.uint8)
    cv2.circle(sprite, centre, round(r * 0.42 * f), (*d.PUPIL, 255), -1, d.AA, d.SHIFT)
    cv2.circle(sprite, (round((c - 0.32 * r) * f), round((c - 0.38 * r) * f)),
               max(1, round(r * 0.16 * f)), (250, 250, 250, 255), -1, d.AA, d.SHIFT)
    return sprite, size / 2.0


def _opening_px(pts: np.ndarray, side: int) -> float:
    """The widest gap (pixels) between the upper and the lower lid."""
    up, low = pts[list(EYE_UPPER[side])], pts[list(EYE_LOWER[side])]
    order = np.argsort(low[:, 0])
    return float((np.interp(up[:, 0], low[order, 0], low[order, 1]) - up[:, 1]).max())


def _smooth_ring(ring: np.ndarray, n_upper: int, passes: int = 2) -> np.ndarray:
    """Chaikin-smoothed closed eye outline (upper lid first, corner to corner, then the
    lower lid back), keeping the two corners sharp; returns upper then lower, sharing
    the corners, with the upper lid the first half."""
    upper, lower = ring[:n_upper], np.concatenate([ring[n_upper - 1:], ring[:1]])
    return np.concatenate([_chaikin(upper, passes), _chaikin(lower, passes)[1:-1]])


def _chaikin(pts: np.ndarray, passes: int) -> np.ndarray:
    for _ in range(passes):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        pts = np.concatenate([pts[:1], mid, pts[-1:]])
    return pts


class DenseWarp:
    """Moves the baked face by its vertices' displacements in a few whole-image steps.

    Every OpenCV call (and every large numpy one) releases the GIL, and with a busy
    Python thread beside the renderer each waits to take it back: an OpenCV fill per
    triangle made a frame ~190 ms with one spinning thread, a numpy pass per triangle
    ~4x slower alone. Here a frame costs a constant dozen such steps.

    The vertices' displacements are spread over a fine grid of the neutral face (each
    node blends the three vertices of the neutral triangle it lies in; a node outside
    the face takes its nearest vertex's, fading only beyond 2 cm, so a dropped chin
    covers below the neutral one), sampled at every pixel, and inverted by fixed-point
    iteration; the face is then one ``remap`` of the baked image. Where the field folds
    (the lips parting) the inverse is wrong, but that is the mouth's opening, which is
    painted over afterwards.
    """

    ITERATIONS = 5

    def __init__(self, neutral: np.ndarray, faces: np.ndarray, size: tuple[int, int],
                 px_per_cm: float) -> None:
        h, w = size
        self.step = max(1.0, 0.1 * px_per_cm)
        self.grid_shape = (int(h / self.step) + 2, int(w / self.step) + 2)
        self.idx, self.wt = _node_weights(self.step, self.grid_shape, neutral, faces, px_per_cm)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        self.px, self.py = xs, ys
        self.gx, self.gy = xs / np.float32(self.step), ys / np.float32(self.step)

    def apply(self, src: np.ndarray, disp: np.ndarray) -> np.ndarray:
        """``src`` with each vertex moved by ``disp`` (pixels, in vertex order)."""
        node = np.einsum("nk,nkc->nc", self.wt, disp[self.idx]).astype(np.float32)
        field = cv2.remap(node.reshape(*self.grid_shape, 2), self.gx, self.gy,
                          cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        sx, sy = self.px - field[..., 0], self.py - field[..., 1]
        for _ in range(self.ITERATIONS - 1):
            # damped: where the field compresses (a lid closing) plain steps oscillate
            at = cv2.remap(field, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            sx = 0.5 * sx + 0.5 * (self.px - at[..., 0])
            sy = 0.5 * sy + 0.5 * (self.py - at[..., 1])
        return cv2.remap(src, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=(0, 0, 0, 0))


def _node_weights(step: float, shape: tuple[int, int], neutral: np.ndarray,
                  faces: np.ndarray, px_per_cm: float) -> tuple[np.ndarray, np.ndarray]:
    """Per node of a ``shape`` grid ``step`` pixels apart, three vertex indices and
    weights: barycentric in the neutral triangle holding it, else the nearest vertex's,
    fading from 2 to 3 cm away."""
    gh, gw = shape
    idx = np.zeros((gh, gw, 3), np.int64)
    wt = np.zeros((gh, gw, 3))
    found = np.zeros((gh, gw), bool)
    for tri in faces:
        corner = neutral[tri]
        (ax, ay), (bx, by), (cx, cy) = corner
        den = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
        if abs(den) < 1e-9:
            continue
        i0, j0 = np.ceil(corner.min(axis=0) / step).astype(int)
        i1, j1 = np.floor(corner.max(axis=0) / step).astype(int) + 1
        if i1 <= i0 or j1 <= j0:
            continue
        x = (np.arange(i0, i1) * step)[None, :]
        y = (np.arange(j0, j1) * step)[:, None]
        l0 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / den
        l1 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / den
        lam = np.stack(np.broadcast_arrays(l0, l1, 1 - l0 - l1), axis=-1)
        hit = (lam >= -1e-9).all(axis=-1) & ~found[j0:j1, i0:i1]
        idx[j0:j1, i0:i1][hit] = tri
        wt[j0:j1, i0:i1][hit] = lam[hit]
        found[j0:j1, i0:i1] |= hit
    flat_idx, flat_wt = idx.reshape(-1, 3), wt.reshape(-1, 3)
    nodes = np.stack(np.meshgrid(np.arange(gw) * step, np.arange(gh) * step),
                     axis=-1).reshape(-1, 2)
    rest = np.nonzero(~found.reshape(-1))[0]
    for chunk in np.array_split(rest, max(1, len(rest) // 4096)):
        dist = np.linalg.norm(nodes[chunk, None, :] - neutral[None, :, :], axis=2)
        nearest = dist.argmin(axis=1)
        far = dist[np.arange(len(chunk)), nearest] / px_per_cm
        flat_idx[chunk, 0] = nearest
        flat_wt[chunk, 0] = np.clip(3.0 - far, 0.0, 1.0)
    return flat_idx, flat_wt


@functools.lru_cache(maxsize=4)
def mesh_face(scale: float, path: Path = MESH_PATH) -> MeshFace:
    """The baked face for a painter of ``scale`` (cached: a bake takes ~0.3 s)."""
    return MeshFace(DESIGN_PX_PER_CM * scale, load_face_mesh(path))


EYE_LINE_DESIGN = -6.0
"""Design y of the drawn head's eye line: the mesh's eye line is put there."""


def to_design(cm: np.ndarray) -> np.ndarray:
    """Mesh cm (x, y up) -> the painter's design units (y down, eye line at -6)."""
    return np.stack([cm[:, 0] * DESIGN_PX_PER_CM,
                     EYE_LINE_DESIGN - (cm[:, 1] - EYE_LEVEL) * DESIGN_PX_PER_CM], axis=1)


def image_to_design(face: MeshFace, px: np.ndarray) -> np.ndarray:
    """Pixels of ``face``'s image -> design units."""
    cm = (px + face.origin) / face.k
    return to_design(np.stack([cm[:, 0], -cm[:, 1]], axis=1))
