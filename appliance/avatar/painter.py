"""Draws the avatar (head, face, upper body, gesturing arm) for one :class:`AvatarPose`.

The character is procedural flat art: a few dozen anti-aliased polygons in
design units (head ~380 px wide at scale 1), placed by the :class:`Layout`.
Head yaw and nods move the features more than the outline (a cheap 2.5-D
parallax), eyes and mouth are drawn in small patches so irises and teeth are
clipped to their openings.
"""

from __future__ import annotations

import logging
import math
import zipfile
from collections.abc import Callable

import cv2
import numpy as np

from appliance.avatar import draw as d
from appliance.avatar import hair
from appliance.avatar.arms import arm_layers, frame_half_x, gestures_for
from appliance.avatar.body import BREATH_PX, body_sprite, wrap_lit
from appliance.avatar.facerig import FACE_OVAL, FacePose
from appliance.avatar.layout import Layout
from appliance.avatar.meshface import (
    SKIN_EDGE,
    MeshFace,
    image_to_design,
    mesh_face,
    to_design,
)
from appliance.avatar.timeline import AvatarPose

logger = logging.getLogger(__name__)

HEAD_RX, HEAD_RY = 190.0, 235.0
MESH_HEAD_NARROW = 0.8
"""The cranium drawn this much narrower around the mesh face (cheek to cheek ~290
design units against the drawn face's 380)."""
EAR_SHADE: d.Color = (118, 140, 200)
NECK_PIVOT = (0.0, 250.0)
TURN_YAW_DEG = 10.0
TURN_PITCH_DEG = 7.0
"""Degrees the mesh face turns at ``head_yaw`` / ``head_pitch`` 1 (a gaze to the side is
0.45, a decided nod 1): the nose moves ~1.1 cm at a side gaze, as far as the drawn
features' parallax moved it."""
LIMB_TONES: dict[d.Color, tuple[d.Color, d.Color, int, float]] = {
    d.JACKET: ((84, 52, 22), (150, 100, 50), 6, 0.3),
    d.SHIRT: ((200, 196, 200), (252, 252, 250), 2, 0.5),
    d.SKIN: ((160, 190, 238), d.SKIN, 2, 0.7),
}
"""Limb colour -> rim, lit middle, fills and the middle's width (:func:`draw.shaded_fill`):
the lit middle of a hand is :data:`draw.SKIN` itself. Few fills: every OpenCV call
releases the GIL and waits to take it back beside a busy Python thread, so under load a
frame's cost is its number of calls (10 fills a sleeve cut the frames shown under the
stress check from ~177 to ~165)."""


def _head_outline() -> np.ndarray:
    th = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    s = np.sin(th)
    taper = 1.0 - 0.24 * np.clip(s, 0, None) ** 2
    return np.stack([HEAD_RX * np.cos(th) * taper, HEAD_RY * s * (1 + 0.02 * (s > 0))], axis=1)


_OUTLINE = _head_outline()
_HAIR_BACK = (lambda e: e[e[:, 1] < 40.0])(d.ellipse(0, -30, 214, 250))


def _fringe() -> np.ndarray:
    th = np.linspace(math.pi + 0.32, 2 * math.pi - 0.32, 28)
    top = np.stack([208 * np.cos(th), -30 + 248 * np.sin(th)], axis=1)
    right = d.bezier((199, -102), (196, -40), (170, -70), (150, -112), 8)
    mid = d.bezier((150, -112), (100, -150), (10, -150), (-55, -128), 12)
    left = d.bezier((-55, -128), (-120, -108), (-178, -80), (-199, -20), 10)
    return np.concatenate([top, right, mid, left])


_FRINGE = _fringe()


_LIT = d.ellipse(-24.0, -44.0, 150.0, 196.0)
"""The lit part of the face (light from the upper left): outside it the skin turns
toward :data:`draw.SKIN_DARK` over a soft edge (jaw, right cheek, temples)."""
SHADE_STRENGTH = 0.55
"""How dark the form shadow gets at the face's edge (0..1 of SKIN -> SKIN_DARK)."""
SHADE_DOWNSAMPLE = 8
"""The shadow's mask is drawn and blurred at 1/8 size: soft anyway, and cheap."""


def _tapered(pts: np.ndarray, w0: float, w1: float) -> np.ndarray:
    """A polygon around the polyline ``pts``, ``w0`` wide at its start, ``w1`` at its end."""
    tangent = np.gradient(pts, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    half = np.linspace(w0, w1, len(pts))[:, None] / 2.0
    return np.concatenate([pts + normal * half, (pts - normal * half)[::-1]])


class AvatarPainter:
    """Paints the figure into a BGR frame for a pose; one per screen layout."""

    FACES = ("drawn", "mesh")
    """The face styles: flat drawn features, or the shaded face mesh (:mod:`meshface`)."""

    def __init__(self, layout: Layout, face: str = "drawn") -> None:
        if face not in self.FACES:
            raise ValueError(f"unknown face style {face!r} (one of {', '.join(self.FACES)})")
        self.layout = layout
        self.s = layout.scale
        self.face = face
        self._mesh: MeshFace | None = None
        self._hair: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None
        self._hair = None
        if face == "mesh":
            try:
                self._mesh = mesh_face(layout.scale)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                # a damaged install keeps a face on the screen: the drawn one
                logger.error("avatar-mesh-unavailable: %s; drawing the flat face", exc)
                self.face = "drawn"
        self.x_shift = 0.0
        """Horizontal offset in pixels (the scene slides the avatar aside for media)."""
        self.gestures = gestures_for(layout)
        """Where each gesture puts the hands on this screen (``point_media``: at the card)."""
        self.half_x = frame_half_x(layout)
        self._body_sprite = body_sprite(layout.scale)
        self._temples = self._temple_seams() if self._mesh is not None else []

    def _temple_seams(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per side: which face-oval vertices meet the drawn cranium, which cranium points
        follow them, and where those vertices are at rest (design units)."""
        assert self._mesh is not None
        rest = to_design(self._mesh.rig.mesh.vertices[list(FACE_OVAL), :2])
        top = _OUTLINE[_OUTLINE[:, 1] <= -60.0]
        near = np.abs(rest[:, 1] + 60.0) < 30.0
        out = []
        for side in (-1.0, 1.0):
            seam = near & (rest[:, 0] * side > 0)
            if seam.any():
                out.append((seam, top[:, 0] * side > 0, rest[seam]))
        return out

    # --- coordinate helpers ---------------------------------------------------

    def _body(self, pts: np.ndarray, breath: float) -> np.ndarray:
        hx, hy = self.layout.head
        out = pts * self.s
        out[:, 1] -= breath * 3.0 * self.s * np.clip((pts[:, 1] - 200) / 600, 0, 1)
        return out + np.array([hx + self.x_shift, hy])

    def _head(self, pts: np.ndarray, pose: AvatarPose, parallax: float = 0.0) -> np.ndarray:
        hx, hy = self.layout.head
        off = np.array([pose.head_yaw * (8 + 26 * parallax),
                        pose.head_pitch * (10 + 22 * parallax)])
        p = d.rotate(pts + off, pose.head_roll_deg, NECK_PIVOT) * self.s
        dx = pose.head_x * 380 * self.s + self.x_shift
        dy = pose.head_y * 380 * self.s - pose.breath * 2.0 * self.s
        return p + np.array([hx + dx, hy + dy])

    # --- the figure -----------------------------------------------------------

    def paint(self, img: np.ndarray, pose: AvatarPose, arms: bool = True) -> None:
        """Draw body, head, arms and hands (``arms=False``: the caller draws them later,
        over something it puts on top of the figure)."""
        self._paint_body(img, pose)
        self._paint_head(img, pose)
        if arms:
            self.paint_arms(img, pose)

    def _paint_body(self, img: np.ndarray, pose: AvatarPose) -> None:
        """The shaded upper body (:mod:`body`), risen with the breath."""
        hx, hy = self.layout.head
        self._body_sprite.paint(img, hx + self.x_shift, hy - pose.breath * BREATH_PX * self.s)

    def _paint_head(self, img: np.ndarray, pose: AvatarPose) -> None:
        if self._mesh is not None:
            self._paint_mesh_head(img, pose, self._mesh)
            return
        s = self.s
        d.fill(img, self._head(_HAIR_BACK, pose, -0.3), d.HAIR)
        for side in (-1, 1):
            ear = d.ellipse(side * 186, 18, 30, 46)
            d.fill(img, self._head(ear, pose, -0.5), d.SKIN)
            d.fill(img, self._head(d.ellipse(side * 190, 20, 14, 26), pose, -0.5), d.SKIN_SHADE)
        outline = self._head(_OUTLINE, pose)
        d.fill(img, outline, d.SKIN)
        self._shade_face(img, pose, outline)
        self._paint_cheeks(img, pose)
        d.fill(img, self._head(_FRINGE, pose, 0.2), d.HAIR)
        shine = d.bezier((40, -208), (70, -210), (100, -200), (125, -182), 8)
        d.stroke(img, self._head(shine, pose, 0.2), d.HAIR_LIGHT, 9 * s)
        for side in (-1, 1):
            self._paint_eye(img, pose, side)
            self._paint_brow(img, pose, side)
        self._paint_nose(img, pose)
        self._paint_mouth(img, pose)

    def _shade_face(self, img: np.ndarray, pose: AvatarPose, outline: np.ndarray) -> None:
        """Soft form shadow inside the face outline, away from the light (upper left).

        The mask is drawn and blurred at 1/8 size, scaled up, clipped by the outline
        and blended in one OpenCV call.
        """
        x0, y0 = np.floor(outline.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 3
        w, h = int(x1 - x0), int(y1 - y0)
        if w <= 0 or h <= 0:
            return
        k = SHADE_DOWNSAMPLE
        o = np.array([x0, y0], dtype=np.float64)
        small = np.full((h // k + 1, w // k + 1), 255, np.uint8)
        d.fill(small, (self._head(_LIT, pose, 0.5) - o) / k, (0, 0, 0))
        soft = cv2.GaussianBlur(small, (0, 0), max(1.0, 34.0 * self.s / k))
        shade = cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR)
        inside = np.zeros((h, w), np.uint8)
        d.fill(inside, outline - o, (255, 255, 255))
        weight = cv2.multiply(shade, inside, scale=SHADE_STRENGTH / (255.0 * 255.0),
                              dtype=cv2.CV_32F)
        d.blend_color(img, int(x0), int(y0), d.SKIN_DARK, weight)

    def _paint_mesh_head(self, img: np.ndarray, pose: AvatarPose, face: MeshFace) -> None:
        """The mesh face inside the bob (:mod:`hair`), the ears between them."""
        back, front = self._hair_sprites()
        self._paint_sprite(img, back, pose, -0.3)
        for side in (-1, 1):
            d.fill(img, self._head(d.ellipse(side * 150, 18, 24, 40), pose, -0.5), SKIN_EDGE)
            d.fill(img, self._head(d.ellipse(side * 154, 20, 11, 22), pose, -0.5), EAR_SHADE)
        cm = face.rig.turn(face.rig.deform(self._rig_pose(pose)),
                           TURN_YAW_DEG * pose.head_yaw, TURN_PITCH_DEG * pose.head_pitch)
        d.fill(img, self._mesh_outline(cm, pose), SKIN_EDGE)
        self._paint_mesh_face(img, pose, face, cm)
        self._paint_sprite(img, front, pose, 0.2)

    def _hair_sprites(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The back and the front hair, each drawn once at this scale with its strands
        (BGRA, and the sprite pixel of the design origin): a frame then places each with
        one warp, instead of some sixty fills and strokes."""
        if self._hair is None:
            strands = hair.strands()
            back_lines = [(line, c, w) for line, c, w in strands if line[:, 1].min() > -60]
            front_lines = [(line, c, w) for line, c, w in strands if line[:, 1].min() <= -60]
            self._hair = (self._sprite([hair.back()], back_lines),
                          self._sprite(hair.front(), front_lines, hair.shine()))
        return self._hair

    def _sprite(self, parts: list[np.ndarray], lines: list[tuple[np.ndarray, d.Color, float]],
                shine: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        s = self.s
        pts = np.concatenate(parts) * s
        origin = -np.floor(pts.min(axis=0)) + 4
        w, h = (np.ceil(pts.max(axis=0)) + origin + 4).astype(int)
        inside = np.zeros((h, w), np.uint8)
        for part in parts:
            d.fill(inside, part * s + origin, (255, 255, 255))
        # the mass raised from its outline and lit like the face and the jacket: hair has
        # volume, darker where it turns away and toward its ends
        shade = wrap_lit(inside.astype(np.float32) / 255.0, hair.ROUND * s)
        bgr = hair.shaded(shade).astype(np.uint8)
        layers: dict[d.Color, list[tuple[np.ndarray, float]]] = {}
        if shine is not None:
            layers[d.HAIR_LIGHT] = [(shine * s + origin, 22 * s)]
        for line, colour, width in lines:
            layers.setdefault(colour, []).append((line * s + origin, width * s))
        for colour, strokes in layers.items():
            mask = np.zeros((h, w), np.uint8)
            for line, width in strokes:
                d.stroke(mask, line, (255, 255, 255), width)
            soft = cv2.min(cv2.GaussianBlur(mask, (0, 0), max(0.6, 1.2 * s)), inside)
            d.blend_color(bgr, 0, 0, colour, soft.astype(np.float32)
                          * (hair.STRAND_ALPHA[colour] / 255.0))
        alpha = inside
        if shine is not None:  # the front hair: its soft shadow on the forehead and cheek
            cover = inside.astype(np.float32) / 255.0
            mat = np.array([[1, 0, 3 * s], [0, 1, 7 * s]], np.float32)
            cast = cv2.GaussianBlur(cv2.warpAffine(cover, mat, (w, h)), (0, 0), 6 * s)
            skin = np.zeros((h, w), np.uint8)  # it falls on the face, never the backdrop
            d.fill(skin, hair.FACE_UNDER * s + origin, (255, 255, 255))
            shadow = np.clip(hair.SHADOW_ALPHA * cast * (1.0 - cover) * (skin / 255.0), 0.0, 1.0)
            bgr[shadow > 0] = hair.SHADOW
            alpha = np.maximum(inside, (255 * shadow).astype(np.uint8))
        return np.dstack([bgr, alpha]), origin

    def _paint_sprite(self, img: np.ndarray, sprite: tuple[np.ndarray, np.ndarray],
                      pose: AvatarPose, parallax: float) -> None:
        """A sprite from :meth:`_sprite`, moved with the head."""
        bgra, origin = sprite
        self._place(img, bgra, lambda px: (px - origin) / self.s, pose, parallax)

    def _place(self, img: np.ndarray, bgra: np.ndarray,
               to_design: Callable[[np.ndarray], np.ndarray], pose: AvatarPose,
               parallax: float) -> None:
        """Blend a BGRA image whose pixels ``to_design`` maps to design units onto the
        head as posed: one affine warp and one blend."""
        h, w = bgra.shape[:2]
        corners = np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]])
        screen = self._head(to_design(corners), pose, parallax)
        x0, y0 = np.maximum(np.floor(screen.min(axis=0)).astype(int) - 1, 0)
        x1, y1 = np.minimum(np.ceil(screen.max(axis=0)).astype(int) + 2,
                            [img.shape[1], img.shape[0]])
        if x1 <= x0 or y1 <= y0:
            return
        mat = cv2.getAffineTransform(corners[:3].astype(np.float32),
                                     (screen[:3] - [x0, y0]).astype(np.float32))
        placed = cv2.warpAffine(bgra, mat, (int(x1 - x0), int(y1 - y0)), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        d.blend_bgra(img, int(x0), int(y0), placed)

    def _rig_pose(self, pose: AvatarPose) -> FacePose:
        m, e = pose.mouth, pose.expression
        close = 0.85 if pose.mode == "out_of_service" else max(0.0, pose.blink)
        return FacePose(jaw=m.open, wide=m.wide, press=m.press, smile=e.smile,
                        brow_raise=e.brow_raise, brow_inner=e.brow_inner,
                        brow_tilt=e.brow_tilt, eye_open=e.eye_open, close=close, cheek=e.cheek)

    def _mesh_outline(self, cm: np.ndarray, pose: AvatarPose) -> np.ndarray:
        """The head's outline: the drawn cranium above the brows, the mesh's own
        silhouette (its jaw moving with the mouth) below."""
        oval = to_design(cm[list(FACE_OVAL)])
        low = oval[oval[:, 1] > -60.0]
        top = _OUTLINE[_OUTLINE[:, 1] <= -60.0] * np.array([MESH_HEAD_NARROW, 1.0])
        # a turned face: the cranium moves with the oval where the two meet (no notch),
        # each temple by its own side (a turn widens one)
        for seam, half, rest in self._temples:
            top[half] += (oval[seam] - rest).mean(axis=0)
        pts = np.concatenate([top, low])
        centre = np.array([0.0, -20.0])
        order = np.argsort(np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0]))
        return self._head(pts[order], pose)

    def _paint_mesh_face(self, img: np.ndarray, pose: AvatarPose, face: MeshFace,
                         cm: np.ndarray) -> None:
        """The shaded face mesh with its vertices at ``cm``, where the drawn features
        would be."""
        m = pose.mouth
        e = pose.expression
        patch = face.render_points(cm, (pose.gaze_x, pose.gaze_y + 0.3 * pose.head_pitch),
                                   m.teeth, m.tongue, smile=e.smile, worry=e.brow_inner)
        # the turn is in the vertices already: the face moves with the head as a whole
        self._place(img, patch, lambda px: image_to_design(face, px), pose, 0.0)

    def _paint_nose(self, img: np.ndarray, pose: AvatarPose) -> None:
        """The shadow side of the bridge, nostrils and the tip's underside."""
        s = self.s
        bridge = d.bezier((14, 22), (17, 34), (20, 44), (22, 54), 6)
        d.stroke(img, self._head(bridge, pose, 0.9), d.SKIN_SHADE, 4 * s)
        for side in (-1, 1):
            d.dot(img, tuple(self._head(np.array([[side * 11.0, 65.0]]), pose, 1.0)[0]),
                  3.0 * s, d.SKIN_SHADE)
        tip = d.bezier((-16, 60), (-7, 74), (7, 74), (16, 60), 8)
        d.stroke(img, self._head(tip, pose, 1.0), d.SKIN_DARK, 5 * s)

    def _paint_cheeks(self, img: np.ndarray, pose: AvatarPose) -> None:
        alpha = int(60 + 90 * max(0.0, pose.expression.cheek))
        for side in (-1, 1):
            pts = self._head(d.ellipse(side * 118, 66, 36, 20), pose, 0.8)
            self._blend_poly(img, pts, d.BLUSH, alpha)

    def _blend_poly(self, img: np.ndarray, pts: np.ndarray, color: d.Color, alpha: int) -> None:
        x0, y0 = np.floor(pts.min(axis=0)).astype(int) - 1
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int) + 2
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        d.fill(mask, pts - np.array([x0, y0]), (alpha, alpha, alpha))
        patch = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
        patch[:] = color
        d.blend_patch(img, int(x0), int(y0), patch, mask)

    def _paint_eye(self, img: np.ndarray, pose: AvatarPose, side: int) -> None:
        s, e = self.s, pose.expression
        cx, cy, rx, ry = side * 80.0, -6.0, 44.0, 34.0
        close = max(pose.blink, 0.0)
        if pose.mode == "out_of_service":
            close = 0.85
        up = ry * e.eye_open * (1 - close) - 0.3 * ry * close
        # a smile that reaches the eyes pushes the lower lids up (the cheeks rise)
        low = 0.8 * ry * (1 - 0.3 * max(0.0, e.cheek)) * (1 - close) + 0.3 * ry * close
        xs = np.linspace(-rx, rx, 24)
        arc = np.sqrt(np.clip(1 - (xs / rx) ** 2, 0, 1))
        upper = np.stack([cx + xs, cy - up * arc], axis=1)
        lower = np.stack([cx + xs[::-1], cy + low * arc[::-1]], axis=1)
        opening = self._head(np.concatenate([upper, lower]), pose, 1.0)
        x0, y0 = np.floor(opening.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(opening.max(axis=0)).astype(int) + 3
        if up + low > 1.0 and x1 > x0 and y1 > y0:
            patch = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
            patch[:] = d.SCLERA
            o = np.array([x0, y0], dtype=np.float64)
            # the upper lid's shadow on the white of the eye
            d.stroke(patch, self._head(upper, pose, 1.0) - o, d.SCLERA_SHADE, 12 * s)
            ix = cx + pose.gaze_x * 16.0
            iy = cy + pose.gaze_y * 8.0 + pose.head_pitch * 5.0
            ic = self._head(np.array([[ix, iy], [ix - 7, iy - 8]]), pose, 1.0) - o
            d.dot(patch, (ic[0, 0], ic[0, 1]), 26 * s, d.IRIS)
            d.dot(patch, (ic[0, 0], ic[0, 1]), 12 * s, d.PUPIL)
            d.dot(patch, (ic[1, 0], ic[1, 1]), 7 * s, d.SCLERA)
            mask = np.zeros(patch.shape[:2], np.uint8)
            d.fill(mask, opening - o, (255, 255, 255))
            d.blend_patch(img, int(x0), int(y0), patch, mask)
        if up + low > 1.0:
            d.stroke(img, self._head(lower[2:-2], pose, 1.0), d.SKIN_SHADE, 2.5 * s)
        # the lid's fold, above the lashes: it follows the lid up and down
        fold = np.stack([cx + xs[3:-3] * 0.92, cy - (up + 13 + 4 * e.eye_open) * arc[3:-3]
                         * 0.95 - 2], axis=1)
        d.stroke(img, self._head(fold, pose, 1.0), d.LID, 4 * s)
        lash = self._head(upper, pose, 1.0)
        d.stroke(img, lash, d.INK, 6 * s)
        if up > 4:
            flick = d.bezier((cx + side * rx * 0.9, cy - up * 0.4), (cx + side * rx, cy - up * 0.3),
                             (cx + side * (rx + 6), cy - up * 0.35),
                             (cx + side * (rx + 12), cy - up * 0.55), 6)
            d.stroke(img, self._head(flick, pose, 1.0), d.INK, 5 * s)

    def _paint_brow(self, img: np.ndarray, pose: AvatarPose, side: int) -> None:
        e = pose.expression
        base = -66.0 - 20.0 * e.brow_raise
        if side > 0:  # a quizzical look lifts one brow only
            base -= 22.0 * e.brow_tilt
        # inner ends up and together, outer ends down: worry, sympathy, an apology
        inner = (side * (38.0 - 4.0 * e.brow_inner), base + 4 - 30.0 * e.brow_inner)
        outer = (side * 122.0, base + 8 + 12.0 * e.brow_inner)
        c1 = (side * 62.0, base - 8 - 14.0 * e.brow_inner)
        c2 = (side * 100.0, base - 10 + 2.0 * e.brow_inner)
        pts = d.bezier(inner, c1, c2, outer, 14)
        brow = self._head(_tapered(pts, 15.0, 6.0), pose, 0.9)  # thick inner end
        d.fill(img, brow, d.HAIR)
        d.dot(img, tuple((brow[0] + brow[-1]) / 2),
              7.5 * self.s, d.HAIR)

    def _paint_mouth(self, img: np.ndarray, pose: AvatarPose) -> None:
        """Two lips (the upper darker, a cupid's bow) around the seam or the open mouth;
        the corners follow the expression's smile, up or down."""
        m, e, s = pose.mouth, pose.expression, self.s
        cy = 132.0
        w = 100.0 * (1 + 0.3 * m.wide) * (1 + 0.08 * e.smile) * (1 - 0.1 * m.press)
        h = 80.0 * m.open
        corner = cy - 18.0 * e.smile
        rnd = max(0.0, -m.wide)
        k = 0.45 + 0.4 * rnd
        left, right = (-w / 2, corner), (w / 2, corner)
        thin = 1.0 - 0.55 * m.press  # pressed lips (p, b, m) roll in
        self._paint_smile_lines(img, pose, w, corner)
        if h < 3.0:
            dip = cy + 3 + 10.0 * max(0.0, e.smile) - 7.0 * max(0.0, -e.smile)
            seam = d.bezier(left, (-w / 4, dip), (w / 4, dip), right, 14)
            upper_edge = self._upper_lip_edge(left, right, dip - 3, 10.0 * thin)
            lower_edge = d.bezier(right, (w * 0.28, dip + 15 * thin), (-w * 0.28, dip + 15 * thin),
                                  left, 14)
            d.fill(img, self._head(np.concatenate([seam, lower_edge[1:-1]]), pose, 1.0), d.LIP)
            d.fill(img, self._head(np.concatenate([upper_edge, seam[::-1][1:-1]]), pose, 1.0),
                   d.LIP_UPPER)
            d.stroke(img, self._head(seam, pose, 1.0), d.LIP_LINE, (3 + 2 * m.press) * s)
            return
        top = cy - h * 0.3 - 3
        bottom = cy + h * 0.7 + 4 + 6 * max(0.0, e.smile)
        upper = d.bezier(left, (-w * k, top), (w * k, top), right, 16)
        lower = d.bezier(right, (w * k, bottom), (-w * k, bottom), left, 16)
        upper_edge = self._upper_lip_edge(left, right, top - 2, 10.0 * thin)
        lower_edge = d.bezier(right, (w * k, bottom + 15 * thin), (-w * k, bottom + 15 * thin),
                              left, 16)
        d.fill(img, self._head(np.concatenate([upper_edge, lower_edge[1:-1]]), pose, 1.0),
               d.LIP)
        d.fill(img, self._head(np.concatenate([upper_edge, upper[::-1][1:-1]]), pose, 1.0),
               d.LIP_UPPER)
        cavity = self._head(np.concatenate([upper, lower[1:-1]]), pose, 1.0)
        x0, y0 = np.floor(cavity.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(cavity.max(axis=0)).astype(int) + 3
        o = np.array([x0, y0], dtype=np.float64)
        patch = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
        patch[:] = d.MOUTH
        if m.teeth > 0.05:
            th = 4 + (8 + 10 * m.teeth) * min(1.0, h / 30)
            teeth = np.array([[-w, top - 10], [w, top - 10], [w, top + th], [-w, top + th]])
            d.fill(patch, self._head(teeth, pose, 1.0) - o, d.TEETH)
        tongue_y = bottom - h * 0.12 + 6 * (1 - m.tongue)
        tongue = d.ellipse(0, tongue_y, w * 0.32, max(4.0, h * 0.22 + 8 * m.tongue))
        d.fill(patch, self._head(tongue, pose, 1.0) - o, d.TONGUE)
        mask = np.zeros(patch.shape[:2], np.uint8)
        d.fill(mask, cavity - o, (255, 255, 255))
        d.blend_patch(img, int(x0), int(y0), patch, mask)
        d.stroke(img, cavity, d.LIP_LINE, 3 * s, closed=True)

    @staticmethod
    def _upper_lip_edge(left: tuple[float, float], right: tuple[float, float], y: float,
                        thick: float) -> np.ndarray:
        """The upper lip's top edge, corner to corner, with a cupid's bow at the middle."""
        w = right[0] - left[0]
        peak, mid = y - thick - 2, y - thick + 2
        a = d.bezier(left, (left[0] + w * 0.2, y - thick * 0.6), (-w * 0.16, peak),
                     (-w * 0.06, peak), 8)
        b = d.bezier((-w * 0.06, peak), (-w * 0.03, peak), (-w * 0.02, mid), (0.0, mid), 4)
        half = np.concatenate([a, b[1:]])
        other = half[::-1][1:] * np.array([-1.0, 1.0])
        other[-1] = right
        return np.concatenate([half, other])

    def _paint_smile_lines(self, img: np.ndarray, pose: AvatarPose, w: float,
                           corner: float) -> None:
        """Creases beside the corners of a smile (none for a sad mouth: on this face
        they read as age)."""
        smile = pose.expression.smile
        if smile < 0.3:
            return
        for side in (-1, 1):
            x = side * (w / 2 + 10)
            crease = d.bezier((x + side * 4, corner - 30), (x + side * 12, corner - 14),
                              (x + side * 10, corner - 2), (x, corner + 6), 6)
            d.stroke(img, self._head(crease, pose, 1.0), d.SKIN_SHADE,
                     (2 + 2.5 * min(1.0, smile)) * self.s)

    # --- arms and hands ------------------------------------------------------------

    def paint_arms(self, img: np.ndarray, pose: AvatarPose) -> None:
        """Both arms with their hands, at rest or gesturing (see :mod:`arms`)."""
        self.paint_layers(img, arm_layers(pose, self.gestures, self.half_x))

    def paint_layers(self, img: np.ndarray,
                     layers: list[tuple[np.ndarray, d.Color, bool]]) -> None:
        """Limb polygons (design units, back to front) as lit cylinders: sleeves, cuffs,
        fingers; ``True`` outlines a part against the one behind it."""
        s = self.s
        for pts, color, outline in layers:
            px = self._body(pts, 0.0)
            tone = LIMB_TONES.get(color)
            if tone is None:
                d.fill(img, px, color)
            else:
                d.shaded_fill(img, px, *tone)
            if outline and (tone is None or color == d.SKIN):  # a lit sleeve's rim is its edge
                edge = d.SKIN_SHADE if color == d.SKIN else d.JACKET_SHADE
                d.stroke(img, px, edge, max(1.0, 1.6 * s), closed=True)
