"""The shaded body sprite: lit like the face, a badge that says something, breathing
that glides, and a placement that blends its outline like an ordinary alpha blend."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from appliance.avatar import draw as d
from appliance.avatar.body import BADGE, PHASES, BodySprite, body_sprite
from appliance.avatar.layout import layout_for
from appliance.avatar.painter import AvatarPainter
from appliance.avatar.timeline import AvatarPose

SCALE = 0.6


@pytest.fixture(scope="module")
def sprite() -> BodySprite:
    return body_sprite(SCALE)


def canvas(sprite: BodySprite, y: float = 40.0) -> np.ndarray:
    img = np.zeros((sprite.size[0] + 80, sprite.size[1] + 40, 3), np.uint8)
    img[:] = (240, 230, 220)
    sprite.paint(img, 20 + sprite.origin[0], y + sprite.origin[1])
    return img


def at(sprite: BodySprite, x: float, y: float, y_off: float = 40.0) -> tuple[int, int]:
    """Canvas pixel of design point (x, y) for :func:`canvas`."""
    px = sprite.px(np.array([[x, y]]))[0]
    return round(float(px[1]) + y_off), round(float(px[0]) + 20)


def test_the_jacket_is_lit_from_the_upper_left_not_flat(sprite: BodySprite) -> None:
    img = canvas(sprite).astype(np.float32).sum(axis=-1)
    lit_shoulder = img[at(sprite, -240, 330)]
    dark_shoulder = img[at(sprite, 240, 330)]
    assert lit_shoulder > dark_shoulder + 30
    r0, c0 = at(sprite, -200, 600)
    r1, c1 = at(sprite, 200, 1000)
    assert img[r0:r1, c0:c1].std() > 8  # shaded cloth, not one flat colour


def test_the_badge_shows_the_information_sign(sprite: BodySprite) -> None:
    img = canvas(sprite).astype(np.int16)
    x0, y0, x1, y1 = BADGE
    r0, c0 = at(sprite, x0 + 20, y0 + 2)
    r1, c1 = at(sprite, x1 - 2, y1 - 2)
    plate = img[r0:r1, c0:c1]
    white = (plate.min(axis=-1) > 200).mean()
    dark = (plate.max(axis=-1) < 140).mean()
    assert white > 0.4, "the badge is a light plate"
    assert dark > 0.05, "the badge is not blank: it carries the sign"


def test_a_whole_pixel_down_is_the_same_picture_one_row_lower(sprite: BodySprite) -> None:
    a = canvas(sprite, 40.0)
    b = canvas(sprite, 41.0)
    assert np.array_equal(a[30:-31], b[31:-30])


def test_sub_pixel_breathing_moves_the_shoulder_line_smoothly(sprite: BodySprite) -> None:
    r, c = at(sprite, -300, 360)
    col = [canvas(sprite, 40.0 + k / PHASES)[r - 40 : r + 40, c].astype(np.float32).sum()
           for k in range(PHASES + 1)]
    steps = np.diff(col)
    # the background is lighter than the jacket: more of it shows as the body drops
    assert (steps > 0).all(), steps
    assert steps.max() - steps.min() < 0.5 * abs(steps.mean()) * PHASES


def test_the_outline_is_blended_as_an_alpha_blend(sprite: BodySprite) -> None:
    img = canvas(sprite)
    phase = sprite.phases[0]
    ys, xs, a = phase.edge
    assert 100 < len(ys) < 0.1 * sprite.size[0] * sprite.size[1]
    bg = np.array((240, 230, 220), np.float32)
    want = phase.bgr[ys, xs].astype(np.float32) * a + bg * (1 - a)
    got = img[ys + 40, xs + 20].astype(np.float32)
    assert np.abs(got - want).max() <= 1.0


def test_painting_off_the_frame_is_clipped_not_an_error(sprite: BodySprite) -> None:
    img = np.zeros((50, 60, 3), np.uint8)
    sprite.paint(img, -5.0, -sprite.size[0] * 0.4)
    sprite.paint(img, 1e4, 1e4)
    assert img.any()


@pytest.mark.parametrize("face", AvatarPainter.FACES)
def test_both_faces_stand_in_the_shaded_body_and_it_breathes(face: str) -> None:
    layout = layout_for(540, 960)
    painter = AvatarPainter(layout, face=face)
    frames = []
    for breath in (0.0, 1.0):
        img = np.zeros((960, 540, 3), np.uint8)
        img[:] = d.BG_TOP
        painter.paint(img, AvatarPose(breath=breath))
        frames.append(img)
    hx, _hy = layout.head
    x = int(hx - 300 * layout.scale)
    col = [np.flatnonzero(np.abs(f[:, x].astype(np.int16) - d.BG_TOP).sum(axis=-1) > 60)[0]
           for f in frames]
    assert col[0] - col[1] >= 1, "the shoulder rises on the in-breath"


@pytest.mark.parametrize("gesture", ["", "wave"])
def test_the_sleeves_hang_from_the_shoulder_line_not_beside_it(gesture: str) -> None:
    from appliance.avatar.arms import SHOULDER, UPPER_ARM, arm_layers
    from appliance.avatar.body import SHOULDER_LINE

    pose = AvatarPose(gesture=gesture or None, gesture_weight=1.0 if gesture else 0.0)
    layers = arm_layers(pose)
    right = [pts for pts, colour, _ in layers if colour == d.JACKET and pts[:, 0].mean() > 0]
    sleeve = right[0]  # the upper sleeve, drawn first
    top = sleeve[np.hypot(sleeve[:, 0] - SHOULDER[0], sleeve[:, 1] - SHOULDER[1]) < 90.0]
    inside = top[top[:, 0] <= SHOULDER_LINE[-1, 0]]
    line_y = np.interp(inside[:, 0], SHOULDER_LINE[:, 0], SHOULDER_LINE[:, 1])
    # no round cap stands above the jacket's shoulder: its top is the shoulder line
    assert (inside[:, 1] >= line_y - 1e-6).all()
    if not gesture:  # at rest the sleeve's top runs along it
        assert np.isclose(inside[:, 1], line_y).sum() >= 3
    # and the sleeve keeps the arm's length down to the elbow
    assert np.ptp(sleeve[:, 1]) + np.ptp(sleeve[:, 0]) > 0.8 * UPPER_ARM


def test_the_hair_has_volume_and_shades_the_forehead_not_the_backdrop() -> None:
    from appliance.avatar import hair

    painter = AvatarPainter(layout_for(540, 960), "mesh")
    (back, _), (front, origin) = painter._hair_sprites()
    solid = back[..., 3] == 255
    luma = back[..., :3].astype(np.float64).mean(axis=-1)
    rim = solid & (cv2.erode(solid.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0)
    # raised from its outline: the mass is lighter within than at its edge
    assert luma[solid & ~rim].mean() > luma[rim].mean() + 4
    s = painter.s
    shadow = (front[..., 3] > 0) & (front[..., :3] == hair.SHADOW).all(axis=-1)
    assert shadow.sum() > 50  # the sweep's soft shadow under its edge
    ys, xs = np.nonzero(shadow)
    design = (np.stack([xs, ys], axis=1) - origin) / s
    inside = cv2.pointPolygonTest  # every shadow pixel lies on the face under the hair
    face = hair.FACE_UNDER.astype(np.float32)
    assert all(inside(face, (float(x), float(y)), True) > -2.0 / s for x, y in design)  # 2 px AA


def test_tucking_the_sleeve_never_drags_it_past_its_own_length(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a level or raised arm keeps its round end (tucking it once dragged a spike down)
    from appliance.avatar import arms

    poses = [AvatarPose(gesture=name, gesture_weight=w)
             for name in arms.GESTURES for w in (0.25, 0.5, 0.75, 1.0)]
    tucked = [[p for p, c, _ in arms.arm_layers(pose) if c == d.JACKET] for pose in poses]
    monkeypatch.setattr(arms, "_under_shoulder", lambda sleeve, *_: sleeve)
    plain = [[p for p, c, _ in arms.arm_layers(pose) if c == d.JACKET] for pose in poses]
    for pose, a, b in zip(poses, tucked, plain):
        for upper_t, upper_p in ((a[0], b[0]), (a[2], b[2])):  # each side's upper sleeve
            assert upper_t[:, 1].max() <= upper_p[:, 1].max() + 1e-6, pose.gesture
