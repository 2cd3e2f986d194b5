"""The 2.5-D face: a human face mesh shaded once, then warped per frame by its rig.

:class:`MeshFace` bakes the neutral face at one size (a per-pixel z-buffer raster of
the mesh with smooth normals, wrap-lit skin, crevice shadow from the depth, lips, brows,
lash lines), leaving holes where the eyes and the mouth open. Each frame paints the
eyes and the mouth's inside into those holes and re-draws only the triangles the rig
moved, each by one affine warp of the baked image: jaw, lips, lids and brows move the
real skin and its shading, with no per-frame lighting.
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
EDGE_PX = 9.0
"""Feather (design units) where the mesh meets the drawn head around it."""


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

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        """Mesh (x, y up) -> pixels of the face image."""
        return np.stack([xy[:, 0] * self.k, -xy[:, 1] * self.k], axis=1) - self.origin

    def _bake(self) -> np.ndarray:
        """The neutral face, BGRA, with transparent eye and mouth openings."""
        normals = self.mesh.normals
        attrs = np.concatenate([self.mesh.vertices[:, 2:3] * self.k, normals], axis=1)
        ss = 2  # rendered at twice the size, then averaged down: anti-aliased edges
        hi, cover = _raster(self.neutral * ss, attrs, self.skin_faces,
                            (self.size[0] * ss, self.size[1] * ss))
        n = hi[..., 1:]
        n[~cover] = (0.0, 0.0, 1.0)  # the openings: plain skin, so warps that reach in blend
        n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-9)
        light = LIGHT / np.linalg.norm(LIGHT)
        wrap = np.clip((n @ light + 0.45) / 1.45, 0.0, 1.0)
        depth = np.where(cover, hi[..., 0], hi[..., 0][cover].min())
        crevice = cv2.GaussianBlur(depth.astype(np.float32), (0, 0), 0.25 * self.k * ss) - depth
        ao = np.clip(1.0 - np.clip(crevice, 0, None) / (0.35 * self.k * ss), 0.45, 1.0)
        # flatten toward the drawn head's skin near the mesh's edge: no dark rim
        solid = np.zeros(cover.shape, np.uint8)  # the face's silhouette, openings included
        for tri in self.mesh.faces:
            cv2.fillConvexPoly(solid, d.fixed(self.neutral[tri] * ss), 1, cv2.LINE_8, d.SHIFT)
        edge = cv2.distanceTransform(solid, cv2.DIST_L2, 5) / (EDGE_PX * 2 * ss)
        flat = np.clip(edge, 0.0, 1.0)[..., None]
        lit = (wrap * ao)[..., None]
        col = SKIN_SHADOW + (SKIN_LIT - SKIN_SHADOW) * (0.1 + 0.9 * lit)
        col = col * flat + np.array(SKIN_EDGE, np.float64) * (1.0 - flat)
        halfway = light + np.array([0.0, 0.0, 1.0])
        half = n @ (halfway / np.linalg.norm(halfway))
        col += (np.clip(half, 0, 1) ** 40 * 28.0)[..., None] * flat
        img = cv2.resize(np.clip(col, 0, 255).astype(np.float32), self.size[::-1],
                         interpolation=cv2.INTER_AREA)
        # opaque over the openings too: what shows there is painted each frame
        alpha = cv2.resize(solid.astype(np.float32) * np.clip(edge * 2, 0, 1), self.size[::-1],
                           interpolation=cv2.INTER_AREA)
        img = self._paint_features(img)
        return np.dstack([np.clip(img, 0, 255), alpha * 255.0]).astype(np.uint8)

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
        return self.render_points(self.rig.deform(pose), gaze, teeth, tongue)

    def render_points(self, cm: np.ndarray, gaze: tuple[float, float] = (0.0, 0.0),
                      teeth: float = 0.0, tongue: float = 0.0) -> np.ndarray:
        """The face with its vertices at ``cm`` (from :meth:`FaceRig.deform`)."""
        pts = self.to_px(cm)
        out = self.base.copy()
        moved = np.abs(pts - self.neutral).max(axis=1) > 0.05
        tris = self.skin_faces[moved[self.skin_faces].any(axis=1)]
        if len(tris):
            _warp_triangles(self.base, out, self.neutral, pts, tris)
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
        cv2.fillPoly(out, [d.fixed(inner)], (*d.MOUTH, 255), d.AA, d.SHIFT)
        x0, x1 = inner[:, 0].min(), inner[:, 0].max()
        clip = np.zeros(out.shape[:2], np.uint8)
        cv2.fillPoly(clip, [d.fixed(inner)], 255, cv2.LINE_8, d.SHIFT)
        layer = out.copy()
        if teeth > 0.05:  # the upper teeth, a band under the upper lip's inner edge
            # as much tooth as the opening allows: a parted mouth shows an edge of them
            th = (0.22 + 0.2 * teeth) * self.k * min(1.0, gap / (0.7 * self.k))
            edge_up = pts[list(LIPS_INNER_UPPER)]
            half = max(1.0, (x1 - x0) / 2)
            off = (edge_up[:, 0] - (x0 + x1) / 2) / (0.8 * half)  # none at the corners
            taper = np.sqrt(np.clip(1 - off ** 2, 0, 1))
            lower = edge_up + np.stack([np.zeros(len(taper)), th * taper], axis=1)
            band = np.concatenate([edge_up - [0, 4], lower[::-1]])
            cv2.fillPoly(layer, [d.fixed(band)], (*d.TEETH, 255), d.AA, d.SHIFT)
        cx, w = (x0 + x1) / 2, (x1 - x0)
        # the tongue's tip: behind the lower teeth, forward for th, d, n
        ry = (0.12 + 0.25 * tongue) * self.k
        ty = bottom + 0.1 * self.k - ry * (0.6 + 0.8 * tongue)
        axes = (max(1, round(w * 0.28)), max(1, round(ry)))
        cv2.ellipse(layer, (round(cx), round(ty + ry)), axes, 0, 180, 360, (*d.TONGUE, 255),
                    -1, d.AA)
        out[clip > 0] = layer[clip > 0]

    def _paint_eye(self, out: np.ndarray, pts: np.ndarray, side: int,
                   gaze: tuple[float, float]) -> None:
        n_up = len(EYE_UPPER[side])
        ring = _smooth_ring(np.concatenate([pts[list(EYE_UPPER[side])],
                                            pts[list(EYE_LOWER[side])][::-1][1:-1]]), n_up)
        neutral = self.neutral[list(EYE_UPPER[side]) + list(EYE_LOWER[side])]
        cx, cy = neutral[:, 0].mean(), neutral[:, 1].mean() - 0.04 * self.k
        x0, y0 = np.floor(ring.min(axis=0)).astype(int) - 3
        x1, y1 = np.ceil(ring.max(axis=0)).astype(int) + 4
        upper = ring[: len(ring) // 2 + 1]
        if _opening_px(pts, side) >= 1.5:
            o = np.array([x0, y0], np.float64)
            patch = self._eyeball((y1 - y0, x1 - x0), cx + gaze[0] * 0.35 * self.k - x0,
                                  cy + gaze[1] * 0.18 * self.k - y0, upper - o)
            mask = np.zeros(patch.shape[:2], np.uint8)
            cv2.fillPoly(mask, [d.fixed(ring - o)], 255, d.AA, d.SHIFT)
            _blend_into(out, x0, y0, patch, mask)
        # the lash line along the upper lid (thickest at the outer corner), the lower lid's rim
        k = self.k
        outer = upper if side == 0 else upper[::-1]
        for frac, width in ((0.12, 0.08), (0.4, 0.12), (0.7, 0.15)):
            seg = outer[: max(2, int(len(outer) * (1 - frac)))]
            cv2.polylines(out, [d.fixed(seg)], False, (*d.INK, 255), max(1, round(width * k)),
                          d.AA, d.SHIFT)
        lower = ring[len(ring) // 2:]
        cv2.polylines(out, [d.fixed(lower)], False, (120, 136, 190, 255),
                      max(1, round(0.05 * k)), d.AA, d.SHIFT)

    def _eyeball(self, shape: tuple[int, int], ix: float, iy: float,
                 lid: np.ndarray) -> np.ndarray:
        """The white, the iris (darker at its rim) and the pupil, in a patch of ``shape``."""
        h, w = shape
        k, f = self.k, 8  # OpenCV's fixed-point shift 3: coordinates times 8
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        # the white: shaded toward the corners and under the lid
        edge = np.clip(np.abs(xx - ix) / (0.9 * w), 0, 1)
        white = np.array([218.0, 222.0, 234.0]) - 60.0 * edge[..., None] ** 1.5
        patch = np.dstack([white, np.full((h, w), 255.0)]).astype(np.uint8)
        r = 0.62 * k
        cv2.circle(patch, (round(ix * f), round(iy * f)), round(r * f), (*IRIS_RIM, 255), -1,
                   d.AA, d.SHIFT)
        cv2.circle(patch, (round(ix * f), round(iy * f)), round(r * 0.86 * f), (*d.IRIS, 255),
                   -1, d.AA, d.SHIFT)
        glow = np.exp(-((xx - ix) ** 2 + (yy - iy - 0.25 * r) ** 2) / (2 * (0.35 * r) ** 2))
        inner = (np.hypot(xx - ix, yy - iy) < 0.8 * r)[..., None]
        lit = patch[..., :3] + (np.array(IRIS_LIGHT) - np.array(d.IRIS)) * glow[..., None] * 0.6
        patch[..., :3] = np.where(inner, np.clip(lit, 0, 255), patch[..., :3]).astype(np.uint8)
        cv2.circle(patch, (round(ix * f), round(iy * f)), round(r * 0.42 * f), (*d.PUPIL, 255),
                   -1, d.AA, d.SHIFT)
        cv2.circle(patch, (round((ix - 0.32 * r) * f), round((iy - 0.38 * r) * f)),
                   max(1, round(r * 0.16 * f)), (250, 250, 250, 255), -1, d.AA, d.SHIFT)
        shadow = np.zeros((h, w), np.float32)  # the upper lid's soft shadow on the eye
        cv2.polylines(shadow, [d.fixed(lid)], False, 1.0, max(1, round(0.3 * k)), d.AA,
                      d.SHIFT)
        shadow = cv2.GaussianBlur(shadow, (0, 0), 0.15 * k)[..., None] * 0.6
        patch[..., :3] = (patch[..., :3] * (1 - shadow) + np.array([120.0, 118.0, 140.0])
                          * shadow).astype(np.uint8)
        return patch


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


def _blend_into(out: np.ndarray, x0: int, y0: int, patch: np.ndarray, mask: np.ndarray) -> None:
    h, w = mask.shape
    region = out[y0:y0 + h, x0:x0 + w]
    a = mask[: region.shape[0], : region.shape[1], None].astype(np.uint16)
    src = patch[: region.shape[0], : region.shape[1]].astype(np.uint16)
    region[:] = ((src * a + region.astype(np.uint16) * (255 - a) + 127) // 255).astype(np.uint8)


def _warp_triangles(src: np.ndarray, dst: np.ndarray, neutral: np.ndarray, pts: np.ndarray,
                    tris: np.ndarray) -> None:
    """Move triangles ``tris`` of ``src`` from their ``neutral`` corners to ``pts`` in ``dst``,
    in one remap: each destination pixel takes its triangle's inverse affine map."""
    t = pts[tris]  # (n, 3, 2) where they go
    x0, y0 = np.maximum(np.floor(t.reshape(-1, 2).min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(t.reshape(-1, 2).max(axis=0)).astype(int) + 2,
                        [dst.shape[1], dst.shape[0]])
    if x1 <= x0 or y1 <= y0:
        return
    ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
    # each triangle grown by ~half a pixel about its centroid: neighbours meet, no seam
    c = t.mean(axis=1, keepdims=True)
    r = np.maximum(np.linalg.norm(t - c, axis=2).min(axis=1), 1.0)[:, None, None]
    grown = d.fixed(c + (t - c) * (1 + 0.7 / r) - [x0, y0])
    for i, poly in enumerate(grown):
        cv2.fillConvexPoly(ids, poly, i, cv2.LINE_8, d.SHIFT)
    # per triangle, the affine map from where it goes back to where it was baked
    dst_h = np.concatenate([t, np.ones((len(t), 3, 1))], axis=2)  # (n, 3, 3) rows x, y, 1
    inv = np.linalg.inv(np.where(np.abs(np.linalg.det(dst_h))[:, None, None] > 1e-9, dst_h,
                                 np.eye(3)))
    back = np.einsum("nij,njk->nki", inv, neutral[tris])  # (n, 2, 3)
    ys, xs = np.nonzero(ids >= 0)
    m = back[ids[ys, xs]]
    px, py = xs + x0 + 0.0, ys + y0 + 0.0
    map_x = np.tile(np.arange(x0, x1, dtype=np.float32), (y1 - y0, 1))
    map_y = np.tile(np.arange(y0, y1, dtype=np.float32)[:, None], (1, x1 - x0))
    map_x[ys, xs] = m[:, 0, 0] * px + m[:, 0, 1] * py + m[:, 0, 2]
    map_y[ys, xs] = m[:, 1, 0] * px + m[:, 1, 1] * py + m[:, 1, 2]
    cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, dst=dst[y0:y1, x0:x1],
              borderMode=cv2.BORDER_REPLICATE)


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
