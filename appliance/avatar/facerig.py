"""A human face mesh and the rig that moves it: jaw, lips, lids, brows, cheeks.

The mesh is MediaPipe's canonical face model (468 vertices, 898 triangles, in cm,
y up, z toward the viewer), extracted from the npm registry's ``@mediapipe/face_mesh``
(Apache-2.0) by ``models/avatar/make_face_mesh.py``. Vertex *i* is face landmark *i*,
so MediaPipe's documented landmark rings name the lips, eyes and brows.

The rig is a set of per-vertex weight maps (computed once) that the pose's mouth shape
and expression scale into displacements: :func:`FaceRig.deform` costs a few numpy
operations per frame.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MESH_PATH = Path(__file__).resolve().parent / "data" / "face_mesh.npz"
SLIM = np.array([0.93, 1.0, 1.0])
"""The canonical face is an average, broad in the cheeks: ours is a little narrower."""

# MediaPipe face-mesh landmark rings (mediapipe/python/solutions/face_mesh_connections.py)
LIPS_OUTER_UPPER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_OUTER_LOWER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_INNER_UPPER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_INNER_LOWER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
EYE_UPPER = ((33, 246, 161, 160, 159, 158, 157, 173, 133),    # screen left (subject's right)
             (263, 466, 388, 387, 386, 385, 384, 398, 362))   # screen right
EYE_LOWER = ((33, 7, 163, 144, 145, 153, 154, 155, 133),
             (263, 249, 390, 373, 374, 380, 381, 382, 362))
BROW_UPPER = ((70, 63, 105, 66, 107), (300, 293, 334, 296, 336))
BROW_LOWER = ((46, 53, 52, 65, 55), (276, 283, 282, 295, 285))
BROW_INNER = ((107, 66, 55, 65), (336, 296, 285, 295))
MOUTH_CORNERS = (61, 291, 78, 308)
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109)
"""The face's silhouette, clockwise on the screen from the top of the forehead."""
EYE_LEVEL = 2.63
"""Mesh y of the eye line (the inner and outer eye corners)."""
MOUTH_LEVEL = -4.3
"""Mesh y of the lips' seam at the corners."""


@dataclass(frozen=True)
class FaceMesh:
    """The canonical face: vertices (N, 3) in cm and triangles (M, 3)."""

    vertices: np.ndarray
    faces: np.ndarray

    @property
    def normals(self) -> np.ndarray:
        """Unit vertex normals (area-weighted face normals), pointing at the viewer."""
        v, f = self.vertices, self.faces
        fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
        vn = np.zeros_like(v)
        for k in range(3):
            np.add.at(vn, f[:, k], fn)
        vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-9)
        return vn if vn[:, 2].mean() > 0 else -vn

    def openings(self) -> np.ndarray:
        """A mask over the triangles that close the eyes and the lips' inner ring: the
        rig opens them, so they are holes the eyes and the mouth show through."""
        rings = [set(LIPS_INNER_UPPER) | set(LIPS_INNER_LOWER)]
        rings += [set(EYE_UPPER[i]) | set(EYE_LOWER[i]) for i in (0, 1)]
        return np.array([any(set(t) <= r for r in rings) for t in self.faces.tolist()])


@functools.lru_cache(maxsize=1)
def load_face_mesh(path: Path = MESH_PATH) -> FaceMesh:
    """The shipped face mesh (``appliance/avatar/data/face_mesh.npz``)."""
    with np.load(path) as data:
        vertices = data["vertices"][:, :3].astype(np.float64) * SLIM
        faces = data["faces"].astype(np.int32)
    return FaceMesh(_larger_eyes(vertices), faces)


EYE_SCALE = 1.3
"""The eyes and lids drawn this much larger than the average face's: read from 2 m, and
how a screen character keeps a kind look (the rest of the face is life-like)."""


def _larger_eyes(v: np.ndarray) -> np.ndarray:
    out = v.copy()
    for side in (0, 1):
        ring = list(EYE_UPPER[side]) + list(EYE_LOWER[side])
        centre = v[ring, :2].mean(axis=0)
        r = np.hypot(*(v[:, :2] - centre).T)
        k = 1.0 + (EYE_SCALE - 1.0) * _smooth(1.0 - r / 3.0)
        out[:, :2] = centre + (out[:, :2] - centre) * k[:, None]
    return out


@dataclass(frozen=True)
class FacePose:
    """What the rig is asked for in one frame (the drawn face's pose, mapped)."""

    jaw: float = 0.0
    """Mouth opening 0 (lips together) .. 1 (wide open ``aa``)."""
    wide: float = 0.0
    """-1 rounded .. 1 spread."""
    press: float = 0.0
    smile: float = 0.0
    brow_raise: float = 0.0
    brow_inner: float = 0.0
    brow_tilt: float = 0.0
    eye_open: float = 1.0
    close: float = 0.0
    """Both lids, 0 open .. 1 shut (a blink)."""
    cheek: float = 0.0


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


PIVOT_Z = -5.5
"""Depth (mesh cm, nose tip ~7.6) of the axes the head turns about: the neck is ~13 cm
behind the tip of the nose."""
PIVOT_Y = -4.0
"""Height (mesh cm, eyes ~3) of the nodding axis: the top of the spine, level with the
bottom of the nose."""


class FaceRig:
    """Weight maps over the mesh's vertices, and :meth:`deform` for a :class:`FacePose`."""

    JAW_DROP = 1.8
    """How far (cm) the lower lip and the chin drop at ``jaw`` 1."""

    def __init__(self, mesh: FaceMesh) -> None:
        self.mesh = mesh
        v = mesh.vertices
        x, y = v[:, 0], v[:, 1]
        n = len(v)
        self.inner_upper = np.array(LIPS_INNER_UPPER)
        self.inner_lower = np.array(LIPS_INNER_LOWER)
        # the jaw: everything below the lips' seam, less toward the jaw's hinge
        below = _smooth((MOUTH_LEVEL + 0.05 - y) / 0.4)
        self.w_jaw = below * (1.0 - 0.75 * (np.abs(x) / 7.8) ** 2)
        self.w_jaw[list(LIPS_OUTER_LOWER) + list(LIPS_INNER_LOWER)] = 1.0
        self.w_jaw[list(MOUTH_CORNERS)] = 0.45
        # the lips and the skin around them (corners spread, round, smile)
        r_mouth = np.hypot(x / 3.6, (y - MOUTH_LEVEL) / 2.2)
        self.w_mouth = _smooth(1.0 - r_mouth)
        self.w_corner = np.zeros((2, n))
        for side, idx in enumerate((61, 291)):
            r = np.hypot(x - v[idx, 0], (y - v[idx, 1]) * 1.3) / 2.0
            self.w_corner[side] = _smooth(1.0 - r)
        self.w_cheek = _smooth(1.0 - np.hypot((np.abs(x) - 4.0) / 2.2, (y + 1.4) / 1.6))
        self.w_brow = np.zeros((2, n))
        self.w_brow_inner = np.zeros((2, n))
        for side in (0, 1):
            brow = v[list(BROW_UPPER[side]) + list(BROW_LOWER[side])]
            d = np.min(np.hypot(x[:, None] - brow[None, :, 0], y[:, None] - brow[None, :, 1]),
                       axis=1)
            self.w_brow[side] = _smooth(1.0 - d / 1.6) * (y > EYE_LEVEL + 0.5)
            inner = v[list(BROW_INNER[side])].mean(axis=0)
            di = np.hypot(x - inner[0], y - inner[1])
            self.w_brow_inner[side] = self.w_brow[side] * _smooth(1.0 - di / 1.8)
        self.lower_lids = np.array([i for ring in EYE_LOWER for i in ring[1:-1]])
        self._lid_setup()

    def _lid_setup(self) -> None:
        """For each upper-lid vertex: how far down it goes to meet the lower lid, and the
        lid skin above it that follows."""
        v = self.mesh.vertices
        x, y = v[:, 0], v[:, 1]
        self.lid_drop = np.zeros(len(v))
        self.lid_lift = np.zeros(len(v))
        for side in (0, 1):
            up, low = np.array(EYE_UPPER[side]), np.array(EYE_LOWER[side])
            order = np.argsort(v[low, 0])
            lx, ly = v[low[order], 0], v[low[order], 1]
            for i in up[1:-1]:
                meet = np.interp(x[i], lx, ly) + 0.02
                self.lid_drop[i] = y[i] - meet
            # lid skin between the lid and the brow follows, fading with height
            cx = v[up, 0].mean()
            top = v[up, 1].max()
            span = np.abs(v[up, 0] - cx).max()
            near = (np.abs(x - cx) < span) & (y > top) & (y < top + 1.3)
            fade = _smooth(1.0 - (y - top) / 1.3) * _smooth(1.0 - np.abs(x - cx) / span)
            self.lid_drop[near] = np.maximum(self.lid_drop[near], 0.5 * fade[near] * 0.6)
            self.lid_lift[list(up[1:-1])] = 1.0
            self.lid_lift[near] = np.maximum(self.lid_lift[near], 0.6 * fade[near])

    def deform(self, pose: FacePose) -> np.ndarray:
        """The vertices (N, 2, mesh units, y up) of the face in ``pose``."""
        v = self.mesh.vertices
        out = v[:, :2].copy()
        x = v[:, 0]
        # lips sealed at rest: the inner rings meet at their middle
        mid = (v[self.inner_upper, 1] + v[self.inner_lower, 1]) / 2.0
        out[self.inner_upper, 1] = mid
        out[self.inner_lower, 1] = mid
        # pressed lips (p, b, m) roll in: less red shows above and below the seam
        out[list(LIPS_OUTER_UPPER[1:-1]), 1] -= 0.18 * pose.press
        out[list(LIPS_OUTER_LOWER[1:-1]), 1] += 0.18 * pose.press
        jaw = max(0.0, pose.jaw)
        out[:, 1] -= self.JAW_DROP * jaw * self.w_jaw
        out[self.inner_upper, 1] += 0.18 * jaw
        out[list(LIPS_OUTER_UPPER[1:-1]), 1] += 0.1 * jaw  # the upper lip lifts, whole
        wide = pose.wide * (1.0 - 0.5 * jaw)
        out[:, 0] += x * self.w_mouth * (0.16 * wide + 0.05 * pose.smile)
        if pose.wide < 0:  # rounded lips also push the opening taller at the middle
            out[self.inner_lower, 1] -= 0.25 * -pose.wide * jaw
        smile = pose.smile
        beam = max(0.0, smile - 0.2)  # past the resting face's friendly hint
        if beam > 0:  # a real smile stretches the lips thinner
            out[list(LIPS_OUTER_UPPER[1:-1]), 1] -= 0.1 * beam
            out[list(LIPS_OUTER_LOWER[1:-1]), 1] += 0.12 * beam
        for side, sign in ((0, -1.0), (1, 1.0)):
            out[:, 1] += (0.9 * smile + 0.5 * beam - 0.12 * pose.press) * self.w_corner[side]
            out[:, 0] += sign * (0.45 * max(0.0, smile) + 0.2 * beam) * self.w_corner[side]
            raise_ = 0.30 * pose.brow_raise + (0.35 * pose.brow_tilt if side == 1 else 0.0)
            out[:, 1] += (raise_ * self.w_brow[side]
                          + 0.75 * pose.brow_inner * self.w_brow_inner[side])
            # sympathy draws the inner ends together as it lifts them (the brows slant)
            out[:, 0] -= sign * 0.2 * pose.brow_inner * self.w_brow_inner[side]
        out[:, 1] += (0.4 * max(0.0, smile) + 0.25 * pose.cheek) * self.w_cheek
        close = float(np.clip(pose.close, 0.0, 1.0))
        lift = 0.55 + 0.5 * (pose.eye_open - 1.0)
        out[:, 1] += lift * (1.0 - close) * self.lid_lift - close * self.lid_drop
        out[self.lower_lids, 1] -= (0.1 - 0.12 * max(0.0, smile)) * (1.0 - close)
        self._round_opening(out)
        return out

    def _round_opening(self, out: np.ndarray) -> None:
        """Round the mouth's opening: each lip's edge keeps its middle's distance from
        the corners' line but follows an ellipse toward the corners (the jaw alone moves
        a lip's whole edge as one, a hexagon), its outer edge moving with it."""
        up, low = list(LIPS_INNER_UPPER), list(LIPS_INNER_LOWER)
        if out[up[len(up) // 2], 1] - out[low[len(low) // 2], 1] < 1e-3:
            return  # sealed: nothing to round
        corners = out[[up[0], up[-1]]]
        cx, cy = corners.mean(axis=0)
        half = max(abs(corners[1, 0] - corners[0, 0]) / 2.0, 1e-6)
        for inner, outer in ((up, list(LIPS_OUTER_UPPER)), (low, list(LIPS_OUTER_LOWER))):
            mid = inner[len(inner) // 2]
            reach = out[mid, 1] - cy
            off = np.clip((out[inner[1:-1], 0] - cx) / half, -1.0, 1.0)
            want = cy + reach * np.sqrt(1.0 - off ** 2)
            shift = want - out[inner[1:-1], 1]
            out[inner[1:-1], 1] += shift
            out[outer[1:-1], 1] += shift

    def turn(self, xy: np.ndarray, yaw_deg: float, pitch_deg: float) -> np.ndarray:
        """The face ``xy`` (from :meth:`deform`) seen with the head turned in 3-D:
        ``yaw_deg`` toward screen right about the neck's axis, ``pitch_deg`` down about
        the top of the spine, in orthographic view. Each vertex moves by its depth: the
        nose crosses the cheek, the far cheek narrows, a nod shortens the forehead."""
        if yaw_deg == 0.0 and pitch_deg == 0.0:
            return xy
        z = self.mesh.vertices[:, 2] - PIVOT_Z
        yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
        x = xy[:, 0] * math.cos(yaw) + z * math.sin(yaw)
        z = -xy[:, 0] * math.sin(yaw) + z * math.cos(yaw)
        y = xy[:, 1] - PIVOT_Y
        y = PIVOT_Y + y * math.cos(pitch) - z * math.sin(pitch)
        return np.stack([x, y], axis=1)
