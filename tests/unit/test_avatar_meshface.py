"""The shaded face mesh (``[avatar] face = "mesh"``): the shipped mesh, its rig, and the
pixels it paints (mouth open or shut, lids, gaze), through the same painter and lip-sync
measure as the drawn face."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest

from appliance.avatar import draw as d
from appliance.avatar.facerig import (
    EYE_LOWER,
    EYE_UPPER,
    LIPS_INNER_LOWER,
    LIPS_INNER_UPPER,
    LIPS_OUTER_LOWER,
    LIPS_OUTER_UPPER,
    FacePose,
    FaceRig,
    load_face_mesh,
)
from appliance.avatar.layout import layout_for
from appliance.avatar.meshface import MeshFace, mesh_face
from appliance.avatar.painter import AvatarPainter
from appliance.avatar.sync import mouth_box, mouth_openness
from appliance.avatar.timeline import AvatarPose
from appliance.avatar.visemes import SHAPES

RECIPE = Path(__file__).resolve().parents[2] / "models/avatar/make_face_mesh.py"


@pytest.fixture(scope="module")
def face() -> MeshFace:
    return MeshFace(20.0)


def _cavity_px(img: np.ndarray) -> int:
    return int(mouth_openness(img[None, ..., :3])[0])


def _mouth(face: MeshFace, img: np.ndarray) -> np.ndarray:
    """The mouth's region of a face image (the eyes' iris is near the cavity's colour)."""
    lips = face.neutral[list(LIPS_INNER_UPPER)]
    x0, x1 = int(lips[:, 0].min() - face.k), int(lips[:, 0].max() + face.k)
    y0, y1 = int(lips[:, 1].min() - face.k), int(lips[:, 1].max() + 3 * face.k)
    return img[y0:y1, x0:x1]


def _colour_px(img: np.ndarray, colour: tuple[int, int, int], tol: int = 30) -> np.ndarray:
    diff = np.abs(img[..., :3].astype(np.int16) - np.array(colour, np.int16)).sum(axis=-1)
    return diff < tol


def test_the_shipped_mesh_is_the_canonical_face_with_eye_and_mouth_openings() -> None:
    mesh = load_face_mesh()
    assert mesh.vertices.shape == (468, 3) and mesh.faces.shape == (898, 3)
    assert mesh.normals[:, 2].mean() > 0.5  # the face looks at the viewer
    holes = mesh.faces[mesh.openings()]
    mouth = set(LIPS_INNER_UPPER) | set(LIPS_INNER_LOWER)
    assert any(set(t) <= mouth for t in holes.tolist())
    for side in (0, 1):
        eye = set(EYE_UPPER[side]) | set(EYE_LOWER[side])
        assert any(set(t) <= eye for t in holes.tolist())
    assert 20 < len(holes) < 80  # only the openings: the skin stays


def _recipe():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_face_mesh", RECIPE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


@pytest.mark.parametrize("packed", [True, False])
def test_the_recipe_decodes_the_geometry_protobuf_either_encoding(packed: bool) -> None:
    recipe = _recipe()
    rng = np.random.default_rng(1)
    vertices = rng.normal(size=(468, 5)).astype(np.float32)
    faces = rng.integers(0, 468, size=(20, 3))
    floats = vertices.reshape(-1)
    if packed:
        body = b"\x1a" + _varint(4 * len(floats)) + floats.tobytes()
        idx = b"".join(_varint(int(i)) for i in faces.reshape(-1))
        body += b"\x22" + _varint(len(idx)) + idx
    else:
        body = b"".join(b"\x1d" + struct.pack("<f", f) for f in floats)
        body += b"".join(b"\x20" + _varint(int(i)) for i in faces.reshape(-1))
    message = b"\x18\x01" + b"\x0a" + _varint(len(body)) + body  # input_source, canonical_mesh
    got_v, got_f = recipe.decode_mesh(message)
    np.testing.assert_array_equal(got_v, vertices)
    np.testing.assert_array_equal(got_f, faces)
    with pytest.raises(ValueError, match="unexpected mesh"):
        recipe.decode_mesh(b"\x0a" + _varint(len(body[:40])) + body[:40])


def test_the_rig_seals_the_lips_at_rest_and_the_jaw_opens_them() -> None:
    rig = FaceRig(load_face_mesh())
    up, low = list(LIPS_INNER_UPPER[1:-1]), list(LIPS_INNER_LOWER[1:-1])
    rest = rig.deform(FacePose())
    assert np.abs(rest[up, 1] - rest[low, 1]).max() < 1e-6
    gaps = [float((rig.deform(FacePose(jaw=j))[up, 1] - rig.deform(FacePose(jaw=j))[low, 1]).max())
            for j in (0.0, 0.3, 0.6, 1.0)]
    assert gaps == sorted(gaps) and gaps[-1] > 1.5  # cm between the lips, wide open
    chin = 152
    assert rig.deform(FacePose(jaw=1.0))[chin, 1] < rest[chin, 1] - 1.0
    forehead = 10
    assert rig.deform(FacePose(jaw=1.0))[forehead, 1] == pytest.approx(rest[forehead, 1])


def test_an_open_mouth_is_rounded_not_a_hexagon() -> None:
    rig = FaceRig(load_face_mesh())
    up, low = list(LIPS_INNER_UPPER), list(LIPS_INNER_LOWER)
    out = rig.deform(FacePose(jaw=1.0))
    corner_y = out[[up[0], up[-1]], 1].mean()
    drop = corner_y - out[low, 1]  # how far each lower-lip point is below the corners
    middle = drop[len(low) // 2]
    assert middle > 1.0
    # toward the corners the lip edge rises along a curve, not at once at the corner
    assert 0.2 * middle < drop[1] < 0.8 * middle
    assert np.all(np.diff(drop[: len(low) // 2 + 1]) >= -1e-9)


def test_the_rig_moves_lids_corners_and_brows_the_right_way() -> None:
    rig = FaceRig(load_face_mesh())
    rest = rig.deform(FacePose())
    for side in (0, 1):
        upper, lower = list(EYE_UPPER[side][1:-1]), list(EYE_LOWER[side][1:-1])
        shut = rig.deform(FacePose(close=1.0))
        assert (rest[upper, 1] - rest[lower, 1]).mean() > 0.6  # an open eye, in cm
        assert np.abs(shut[upper, 1].mean() - shut[lower, 1].mean()) < 0.25
    smile, frown = rig.deform(FacePose(smile=1.0)), rig.deform(FacePose(smile=-1.0))
    for corner in (61, 291):
        assert frown[corner, 1] < rest[corner, 1] < smile[corner, 1]
    raised = rig.deform(FacePose(brow_raise=1.0))
    assert raised[105, 1] > rest[105, 1] + 0.2 and raised[334, 1] > rest[334, 1] + 0.2


def test_a_real_smile_lifts_the_corners_and_thins_the_lips_the_resting_hint_does_not() -> None:
    rig = FaceRig(load_face_mesh())
    rest, hint, beam = (rig.deform(FacePose(smile=s)) for s in (0.0, 0.18, 0.7))
    mid_up, mid_low = LIPS_OUTER_UPPER[len(LIPS_OUTER_UPPER) // 2], \
        LIPS_OUTER_LOWER[len(LIPS_OUTER_LOWER) // 2]
    # the resting face's friendly hint keeps full lips; a real smile stretches them
    assert hint[mid_up, 1] - hint[mid_low, 1] == pytest.approx(rest[mid_up, 1] - rest[mid_low, 1])
    assert beam[mid_up, 1] - beam[mid_low, 1] < rest[mid_up, 1] - rest[mid_low, 1] - 0.05
    for corner in (61, 291):  # corners rise past the seam's middle, and widen
        assert beam[corner, 1] > beam[13, 1] + 0.3
        assert abs(beam[corner, 0]) > abs(hint[corner, 0]) + 0.2


def test_the_mouth_shows_its_inside_only_when_open(face: MeshFace) -> None:
    shut = _mouth(face, face.render(FacePose()))
    pressed = _mouth(face, face.render(FacePose(press=1.0)))
    opening = [_cavity_px(_mouth(face, face.render(FacePose(jaw=j), teeth=0.5)))
               for j in (0.2, 0.5, 0.9)]
    assert _cavity_px(shut) == 0 and _cavity_px(pressed) == 0
    assert 0 < opening[0] < opening[1] < opening[2]
    teeth = face.render(FacePose(jaw=0.6), teeth=1.0)
    assert _colour_px(teeth, d.TEETH, 12).sum() > 20


def _eyes(face: MeshFace, img: np.ndarray) -> np.ndarray:
    """The band of the face image with both eyes (the brows are near the iris's colour)."""
    ring = face.neutral[[i for side in (0, 1) for i in EYE_UPPER[side] + EYE_LOWER[side]]]
    return img[int(ring[:, 1].min() - 0.8 * face.k):int(ring[:, 1].max() + 0.5 * face.k)]


def test_a_blink_hides_the_eyes_and_the_iris_follows_the_gaze(face: MeshFace) -> None:
    iris = _colour_px(_eyes(face, face.render(FacePose())), d.IRIS, 12)
    assert iris.sum() > 100
    shut = _colour_px(_eyes(face, face.render(FacePose(close=1.0))), d.IRIS, 12)
    assert shut.sum() < 0.05 * iris.sum()
    left = np.nonzero(_colour_px(_eyes(face, face.render(FacePose(), gaze=(-1.0, 0.0))),
                                 d.IRIS, 12))[1].mean()
    right = np.nonzero(_colour_px(_eyes(face, face.render(FacePose(), gaze=(1.0, 0.0))),
                                  d.IRIS, 12))[1].mean()
    assert right - left > 0.3 * face.k  # both irises, screen right by a few mm


NOSE_TIP = 1
"""MediaPipe's landmark 1: the tip of the nose."""


def test_a_head_turn_moves_each_vertex_by_its_depth() -> None:
    rig = FaceRig(load_face_mesh())
    rest = rig.deform(FacePose())
    assert rig.turn(rest, 0.0, 0.0) is rest
    turned = rig.turn(rest, 10.0, 0.0)
    left, right = rest[:, 0].argmin(), rest[:, 0].argmax()
    moved = turned[:, 0] - rest[:, 0]
    assert moved[NOSE_TIP] > moved[left] > 0 and moved[NOSE_TIP] > moved[right]
    # turned toward screen right: the right cheek narrows, the left widens
    assert turned[right, 0] - turned[NOSE_TIP, 0] < rest[right, 0] - rest[NOSE_TIP, 0]
    assert turned[NOSE_TIP, 0] - turned[left, 0] > rest[NOSE_TIP, 0] - rest[left, 0]
    nod = rig.turn(rest, 0.0, 7.0)  # a nod: the nose tip goes down more than the brow
    brow = int(np.argmax(rest[:, 1]))
    assert rest[NOSE_TIP, 1] - nod[NOSE_TIP, 1] > abs(rest[brow, 1] - nod[brow, 1])


def test_a_turned_face_keeps_its_eyes_whole(face: MeshFace) -> None:
    rest = _colour_px(_eyes(face, face.render(FacePose())), d.IRIS, 12)
    turned = face.render_points(face.rig.turn(face.rig.deform(FacePose()), 4.5, 1.4))
    iris = _colour_px(_eyes(face, turned), d.IRIS, 12)
    assert iris.sum() > 0.7 * rest.sum()  # both irises, moved with the eyes, not lost
    cols = np.nonzero(iris)[1]
    middle = face.size[1] / 2
    assert (cols < middle).sum() > 0.3 * iris.sum() and (cols > middle).sum() > 0.3 * iris.sum()


def _luma_at(face: MeshFace, img: np.ndarray, cm: tuple[float, float], r_cm: float) -> float:
    x, y = face.to_px(np.array([cm]))[0]
    r = int(r_cm * face.k)
    return float(img[int(y) - r : int(y) + r, int(x) - r : int(x) + r, :3].mean())


def test_a_smile_deepens_its_folds_and_a_worried_brow_lines_the_forehead(
        face: MeshFace) -> None:
    rest = face.render(FacePose())
    assert np.array_equal(face.render(FacePose(smile=0.18)),
                          face.render_points(face.rig.deform(FacePose(smile=0.18))))
    smiling = face.render_points(face.rig.deform(FacePose()), smile=0.9)
    for side in (-1.0, 1.0):  # beside each nose wing, down toward the mouth's corner
        fold = (side * 2.62, -2.3)
        assert _luma_at(face, smiling, fold, 0.25) < _luma_at(face, rest, fold, 0.25) - 3
    worried = face.render_points(face.rig.deform(FacePose()), worry=0.9)
    assert _luma_at(face, worried, (0.0, 6.0), 0.5) < _luma_at(face, rest, (0.0, 6.0), 0.5) - 1
    # far from both, nothing changes
    assert _luma_at(face, smiling, (0.0, 6.0), 0.5) == _luma_at(face, rest, (0.0, 6.0), 0.5)


def test_the_painter_puts_the_mesh_face_where_the_lip_sync_check_looks() -> None:
    layout = layout_for(540, 960)
    openness = {}
    for style in AvatarPainter.FACES:
        painter = AvatarPainter(layout, style)
        for name in ("aa", "PP"):
            img = d.vertical_gradient(540, 960, d.BG_TOP, d.BG_BOTTOM)
            painter.paint(img, AvatarPose(mouth=SHAPES[name]))
            x, y, w, h = mouth_box((540, 960))
            openness[style, name] = _cavity_px(img[y:y + h, x:x + w])
    for style in AvatarPainter.FACES:
        assert openness[style, "PP"] == 0 < openness[style, "aa"]


def test_an_unknown_face_style_is_refused() -> None:
    with pytest.raises(ValueError, match="face style"):
        AvatarPainter(layout_for(540, 960), "photo")


def test_a_damaged_mesh_falls_back_to_the_drawn_face(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "face_mesh.npz"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    monkeypatch.setattr("appliance.avatar.painter.mesh_face",
                        lambda scale: mesh_face(scale, broken))
    painter = AvatarPainter(layout_for(540, 960), "mesh")
    assert painter.face == "drawn"
    assert "avatar-mesh-unavailable" in caplog.text
    img = d.vertical_gradient(540, 960, d.BG_TOP, d.BG_BOTTOM)
    painter.paint(img, AvatarPose(mouth=SHAPES["aa"]))  # still a face, still talking
    x, y, w, h = mouth_box((540, 960))
    assert _cavity_px(img[y:y + h, x:x + w]) > 0
