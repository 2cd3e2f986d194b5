"""Hand landmarks, the invariant features, the replay source and the MediaPipe
landmarker against a stand-in module shaped like mediapipe's documented
``solutions.hands`` API (mediapipe itself pins numpy<2 and is not in this venv)."""

from __future__ import annotations

import asyncio
import sys
from types import ModuleType, SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from appliance.sign.input.features import features, upright
from appliance.sign.input.landmarks import (
    HandLandmarks,
    LandmarkFrame,
    ReplaySource,
    SignInputError,
)
from appliance.sign.input.mediapipe_source import (
    MISSING,
    MediaPipeLandmarker,
    MediaPipeSource,
    load_mediapipe,
)
from appliance.sign.input.synth import sample

ORIENT = 2
"""The last two features: the hand's direction in the image (not turn invariant)."""


def a_hand(letter: str = "b", seed: int = 3) -> HandLandmarks:
    return sample(letter, np.random.default_rng(seed))


def moved(hand: HandLandmarks, turn_deg: float, scale: float,
          shift: tuple[float, float]) -> HandLandmarks:
    """The same hand turned in the image plane, resized and moved (square units)."""
    pts = hand.points.copy()
    pts[:, 0] *= hand.aspect
    c, s = np.cos(np.radians(turn_deg)), np.sin(np.radians(turn_deg))
    xy = pts[:, :2] @ np.array([[c, s], [-s, c]]) * scale
    out = np.column_stack([xy[:, 0] / hand.aspect + shift[0], xy[:, 1] + shift[1],
                           pts[:, 2] * scale])
    return HandLandmarks(out, hand.handedness, hand.score, hand.aspect)


def test_a_hand_needs_21_finite_points_and_a_known_side() -> None:
    with pytest.raises(SignInputError) as err:
        HandLandmarks(np.zeros((20, 3)))
    assert err.value.code == "sign-bad-landmarks"
    with pytest.raises(SignInputError):
        HandLandmarks(np.full((21, 3), np.nan))
    with pytest.raises(SignInputError):
        HandLandmarks(np.zeros((21, 3)), handedness="left")


def test_features_ignore_place_size_and_turn_but_keep_direction() -> None:
    hand = a_hand()
    other = moved(hand, 25.0, 1.7, (0.1, -0.05))
    a, b = features(hand), features(other)
    assert np.allclose(a[:-ORIENT], b[:-ORIENT], atol=1e-9)
    assert not np.allclose(a[-ORIENT:], b[-ORIENT:], atol=1e-3)
    pts, _ = upright(hand)
    assert np.allclose(pts[0], 0.0) and np.isclose(np.linalg.norm(pts[9, :2]), 1.0)
    assert pts[9, 1] < 0, "the middle knuckle should point up (image y is down)"


def test_a_left_hand_reads_as_its_mirrored_right_hand() -> None:
    hand = a_hand("l")
    mirrored = hand.points.copy()
    mirrored[:, 0] = 1.0 - mirrored[:, 0]
    left = HandLandmarks(mirrored, "Left", 1.0, hand.aspect)
    assert np.allclose(features(hand)[:-ORIENT], features(left)[:-ORIENT], atol=1e-9)


async def test_the_replay_source_plays_its_frames_and_stops_when_closed() -> None:
    frames = [LandmarkFrame(i / 30, a_hand() if i % 2 else None) for i in range(4)]
    source = ReplaySource(frames)
    seen = [f async for f in source.frames()]
    assert [f.t for f in seen] == [f.t for f in frames]
    await source.close()
    assert [f async for f in source.frames()] == []


# --- MediaPipe, through a stand-in module -----------------------------------------------------

class FakeHands:
    """``mediapipe.solutions.hands.Hands`` as its docs describe it."""

    made: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, **kwargs: Any) -> None:
        FakeHands.made.append(kwargs)
        self.points = a_hand("y").points
        self.closed = False
        self.calls = 0

    def process(self, image: np.ndarray) -> SimpleNamespace:
        self.calls += 1
        if self.calls % 2 == 0:  # every other frame: no hand
            return SimpleNamespace(multi_hand_landmarks=None, multi_handedness=None)
        marks = SimpleNamespace(landmark=[SimpleNamespace(x=p[0], y=p[1], z=p[2])
                                          for p in self.points])
        side = SimpleNamespace(classification=[SimpleNamespace(label="Left", score=0.93)])
        return SimpleNamespace(multi_hand_landmarks=[marks], multi_handedness=[side])

    def close(self) -> None:
        self.closed = True


def stand_in() -> ModuleType:
    mp = ModuleType("mediapipe")
    mp.solutions = SimpleNamespace(hands=SimpleNamespace(Hands=FakeHands))  # type: ignore[attr-defined]
    return mp


def test_without_mediapipe_the_error_has_a_stable_code() -> None:
    with pytest.raises(SignInputError) as err:
        load_mediapipe("mediapipe_is_not_installed_here")
    assert err.value.code == MISSING == "sign-landmarker-missing"
    assert "numpy 1.x" in str(err.value)


def test_the_landmarker_reads_mediapipes_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mediapipe", stand_in())
    marker = MediaPipeLandmarker(model_complexity=0)
    assert FakeHands.made[-1]["max_num_hands"] == 1
    assert FakeHands.made[-1]["model_complexity"] == 0
    frame = np.zeros((480, 640, 3), np.uint8)
    hand = marker.detect(frame)
    assert hand is not None and hand.handedness == "Left" and hand.score == 0.93
    assert hand.points.shape == (21, 3) and hand.aspect == pytest.approx(4 / 3)
    assert marker.detect(frame) is None
    with pytest.raises(SignInputError) as err:
        marker.detect(np.zeros((480, 640), np.uint8))
    assert err.value.code == "sign-bad-frame"


async def test_the_mediapipe_source_yields_timed_frames_and_closes() -> None:
    marker = MediaPipeLandmarker(module=stand_in())

    async def camera() -> Any:
        for i in range(4):
            yield i / 30, np.zeros((240, 320, 3), np.uint8)

    source = MediaPipeSource(camera(), marker)
    seen = await asyncio.wait_for(_collect(source), 5)
    assert [f.t for f in seen] == [0.0, 1 / 30, 2 / 30, 3 / 30]
    assert [f.hand is not None for f in seen] == [True, False, True, False]
    await source.close()
    assert marker._hands.closed


async def _collect(source: MediaPipeSource) -> list[LandmarkFrame]:
    return [f async for f in source.frames()]
