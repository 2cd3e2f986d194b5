"""Every gesture is drawn: checked on the pixels, not on the decision.

Arms and hands come from :mod:`appliance.avatar.arms`; the frames here are the
scene's real renders. A gesture changes the arm's pixels, the hand (skin with
fingers) is where the forearm ends in every frame of the movement, pointing stays
inside the screen, and an answer card (the map) is never covered.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
import numpy as np
import pytest

from appliance.avatar import draw as d
from appliance.avatar.arms import GESTURES, arm_layers
from appliance.avatar.scene import Scene
from appliance.avatar.timeline import PERFORM_S
from appliance.behavior.runner import BehaviourRunner
from appliance.behavior.tree import Event
from appliance.settings import BehaviorSettings

SIZE = (540, 960)
BEHAVIOUR_GESTURES = ("wave", "point_help", "hand_on_chest", "beckon_staff", "beckon",
                      "point_screen", "open_arms", "talk", "think")


def skin(frame: np.ndarray) -> np.ndarray:
    diff = np.abs(frame.astype(np.int16) - np.array(d.SKIN, np.int16)).sum(axis=-1)
    return diff < 30


def stroke_frame(gesture: str, t: float = 0.9, size: tuple[int, int] = SIZE) -> np.ndarray:
    scene = Scene(size)
    scene.set_mode("idle")
    scene.perform(gesture, 0.0)
    return scene.render(t).copy()


def hand_centre(scene: Scene, t: float, side: int) -> tuple[float, float]:
    """Pixel centre of one hand's palm, from the rig's own numbers."""
    layers = arm_layers(scene.state.pose_at(t))
    per_arm = len(layers) // 2
    hand = layers[per_arm if side > 0 else 0 : per_arm * 2 if side > 0 else per_arm][4]
    px = scene.painter._body(hand[0], 0.0)
    c = px.mean(axis=0)
    return float(c[0]), float(c[1])


@pytest.mark.parametrize("gesture", sorted(GESTURES))
def test_each_gesture_moves_an_arm_and_shows_a_hand(gesture: str) -> None:
    rest = stroke_frame("idle")
    frame = stroke_frame(gesture)
    changed = np.abs(frame.astype(np.int16) - rest.astype(np.int16)).sum(axis=-1) > 40
    assert changed.sum() > 1500, f"{gesture} is not drawn"
    scene = Scene(SIZE)
    scene.perform(gesture, 0.0)
    side = 1 if GESTURES[gesture].right is not None else -1
    x, y = hand_centre(scene, 0.9, side)
    box = skin(frame)[int(y) - 25 : int(y) + 25, int(x) - 25 : int(x) + 25]
    assert box.sum() > 500, f"{gesture}: no hand where the forearm ends ({box.sum()} px)"


@pytest.mark.parametrize("gesture", ["wave", "point_left", "point_right", "beckon_staff",
                                     "point_help", "open_arms"])
def test_no_frame_of_a_gesture_has_a_forearm_without_a_hand(gesture: str) -> None:
    scene = Scene(SIZE)
    scene.set_mode("idle")
    scene.perform(gesture, 0.0)
    side = 1 if GESTURES[gesture].right is not None else -1
    for i in range(int(PERFORM_S[gesture] * 15)):
        t = i / 15
        frame = scene.render(t)
        x, y = hand_centre(scene, t, side)
        box = skin(frame)[max(0, int(y) - 22) : int(y) + 22, max(0, int(x) - 22) : int(x) + 22]
        assert box.sum() > 350, f"{gesture} at {t:.2f} s: handless ({box.sum()} px)"


@pytest.mark.parametrize("size", [(540, 960), (1080, 1920)])
@pytest.mark.parametrize("gesture", ["point_left", "point_right", "point_help", "wave",
                                     "open_arms"])
def test_pointing_stays_inside_the_screen(gesture: str, size: tuple[int, int]) -> None:
    frame = stroke_frame(gesture, size=size)
    hands = skin(frame)
    edge = max(2, size[0] // 100)
    assert not hands[:, :edge].any() and not hands[:, -edge:].any(), \
        f"{gesture}: a finger leaves the screen"


@pytest.mark.parametrize("gesture", ["point_screen", "point_left", "point_help", "hand_on_chest",
                                     "open_arms", "talk"])
def test_a_gesture_never_covers_the_map(gesture: str, tmp_path: Path) -> None:
    card = np.zeros((300, 400, 3), np.uint8)
    card[:] = (40, 160, 40)
    cv2.putText(card, "MAP", (100, 180), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 6)
    path = tmp_path / "map.png"
    cv2.imwrite(str(path), card)
    scene = Scene(SIZE)
    scene.show_media(path)
    still = scene.render(0.0).copy()
    assert scene._card is not None
    img, x, y = scene._card
    h, w = img.shape[:2]
    scene.perform(gesture, 0.0)
    for t in (0.3, 0.6, 0.9, 1.5):
        frame = scene.render(t)
        assert np.array_equal(frame[y : y + h, x : x + w], still[y : y + h, x : x + w]), \
            f"{gesture} covers the map at {t} s"


async def test_the_behaviour_tree_s_gestures_reach_the_avatar() -> None:
    from tests.unit.test_behaviour_runner import kiosk  # the runner tests' fake kiosk

    class Avatar:
        def __init__(self) -> None:
            self.scene = Scene((270, 480))
            self.performed: list[str] = []
            real = self.scene.perform

            def perform(g: str, t: float) -> None:
                self.performed.append(g)
                real(g, t)

            self.scene.perform = perform  # type: ignore[method-assign]

        def clock(self) -> float:
            return 10.0

        def on_frame(self, _frame: object) -> None:
            pass

    avatar = Avatar()
    runner = BehaviourRunner(kiosk(), BehaviorSettings(), avatar=avatar,  # type: ignore[arg-type]
                             clock=lambda: 10.0)
    runner.post(Event("alert"))
    await runner.tick(10.0)
    await runner.tick(10.5)  # the same decision again: drawn once
    assert avatar.performed == ["point_help"]
    frame = avatar.scene.render(11.0)
    rest = Scene((270, 480)).render(11.0)
    assert np.abs(frame.astype(np.int16) - rest.astype(np.int16)).sum(axis=-1).max() > 100
    await asyncio.sleep(0)


def test_every_gesture_the_behaviour_tree_decides_is_known_to_the_rig() -> None:
    from appliance.behavior import tree

    decided = {g for g in tree.GESTURE_FOR_STYLE.values()} | set(BEHAVIOUR_GESTURES)
    drawn = set(GESTURES) | {"nod", "slow_nod", "lean_in", "idle", "wait"}
    assert decided <= drawn, decided - drawn
