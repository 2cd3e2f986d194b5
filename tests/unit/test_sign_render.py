"""Drawing the signing avatar: letters differ in pixels, faces apply, the sheet renders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from appliance.avatar.timeline import AvatarPose
from appliance.sign import fingerspell
from appliance.sign.gloss import GlossItem, gloss_reply
from appliance.sign.render import face_pose, render_sign
from appliance.sign.timeline import build_track

SIZE = (270, 480)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "sign-language.md"


def _letter_frame(c: str) -> np.ndarray:
    track = build_track([GlossItem(c, "spell", (0, 1), fingerspell.spell(c))])
    start, end = track.holds(0)[0]
    return render_sign(track.sample((start + end) / 2), SIZE)


def test_two_letters_draw_different_hands() -> None:
    a, l_ = _letter_frame("a"), _letter_frame("l")
    changed = np.any(a != l_, axis=2).sum()
    assert changed > 150  # the index and thumb stick out of L's fist


def test_same_letter_draws_the_same_frame() -> None:
    assert np.array_equal(_letter_frame("b"), _letter_frame("b"))


def test_signing_frame_differs_from_rest() -> None:
    track = build_track(gloss_reply("Thank you"))
    rest = render_sign(track.sample(0.0), SIZE)
    mid = render_sign(track.sample(track.duration / 2), SIZE)
    assert np.any(rest != mid, axis=2).sum() > 500


def test_face_markers_go_onto_the_avatar_pose() -> None:
    track = build_track(gloss_reply("Where is the lift?"))
    sign = track.sample(track.duration / 2)
    pose = face_pose(AvatarPose(gesture="wave", gesture_weight=1.0), sign)
    assert pose.expression.brow_raise < AvatarPose().expression.brow_raise
    assert pose.gesture == "" and pose.gesture_weight == 0.0  # signing owns the arms


def test_docs_state_the_honest_limits() -> None:
    text = DOCS.read_text(encoding="utf-8").lower()
    assert "not validated by deaf signers" in text
    assert "not full grammar" in text
    assert "sign_language:" in text
