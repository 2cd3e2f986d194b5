"""A contact sheet of the avatar, drawn by the renderer itself: what reviewers look at.

Rows: neutral and each emotion; every gesture at its stroke; a few station signs
at their stroke (the reply signed through :meth:`Scene.sign`; the full sign sheet is
``python -m appliance.sign.sheet``); the mouth shapes of a pangram (one tile per viseme
as the co-articulated track reaches it), all with the kiosk's face (``[avatar] face``, the
face mesh by default); then the other face style's emotions and mouth shapes. Each tile
is a crop of the head and upper body from a real :class:`Scene` render.

    python -m appliance.avatar.sheet out/avatar-sheet.png
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import cv2
import numpy as np

from appliance.avatar.affect import CONCERNED
from appliance.avatar.arms import GESTURES
from appliance.avatar.scene import Scene
from appliance.avatar.visemes import ANTICIPATION_S
from appliance.frames import VisemeCue
from appliance.settings import AvatarSettings

logger = logging.getLogger(__name__)

EMOTIONS: tuple[tuple[str, float, float], ...] = (
    ("neutral", 0.0, 0.3), ("happy", 0.7, 0.6), ("frustrated", -0.6, 0.75),
    ("anxious", -0.45, 0.8), ("sad", -0.65, 0.2), ("confused", -0.2, 0.45),
    ("concerned (danger)", *CONCERNED),
)
"""(label, valence, arousal) of each face tile: the visitor emotions the NLU gives (its
valence and arousal) and the concerned face a danger or complaint reply is said with."""

PANGRAM = "The quick brown fox jumps over the lazy dog"
# the pangram's sounds as visemes (one per sound, enough to show every shape it uses)
PANGRAM_VISEMES = ("TH", "E", "kk", "U", "I", "kk", "PP", "RR", "aa", "nn", "FF", "O",
                   "kk", "SS", "CH", "E", "PP", "SS", "O", "FF", "E", "nn", "E", "I",
                   "DD", "O", "kk")

SIGN_POSES: tuple[tuple[str, str], ...] = (
    ("toilet", "TOILET"), ("exit", "EXIT"), ("help", "HELP"), ("thank you", "THANK-YOU"),
    ("left", "LEFT"), ("ticket", "TICKET"),
)
"""(reply text, label) of each sign tile."""

DEFAULT_FACE = AvatarSettings().face
"""The face the kiosk shows unless told otherwise."""

TILE = (270, 330)
"""Tile width, height in pixels (from a 540x960 render)."""


def _tile(frame: np.ndarray, scene: Scene, label: str, face_only: bool = False) -> np.ndarray:
    hx, hy = scene.layout.head
    s = scene.layout.scale
    if face_only:
        x0, x1, y0, y1 = hx - 200 * s, hx + 200 * s, hy - 190 * s, hy + 300 * s
    else:
        x0, x1, y0, y1 = 0, frame.shape[1], max(0, hy - 330 * s), hy + 760 * s
    crop = frame[int(y0) : int(y1), int(x0) : int(x1)]
    tile = cv2.resize(crop, TILE, interpolation=cv2.INTER_AREA)
    cv2.rectangle(tile, (0, TILE[1] - 26), (TILE[0], TILE[1]), (70, 48, 34), -1)
    cv2.putText(tile, label, (8, TILE[1] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                (250, 250, 250), 1, cv2.LINE_AA)
    return tile


def _grid(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    blank = np.full_like(tiles[0], 255)
    rows = []
    for i in range(0, len(tiles), columns):
        row = tiles[i : i + columns]
        rows.append(np.hstack(row + [blank] * (columns - len(row))))
    return np.vstack(rows)


OTHER_VISEMES = ("aa", "E", "I", "O", "U", "PP", "FF", "TH", "SS", "kk")
"""The held mouth shapes shown for the other face style (its rows at the end)."""


def _other_face_tiles(size: tuple[int, int], face: str) -> list[np.ndarray]:
    """The face style the kiosk does not show by default: each emotion, held mouth shapes."""
    tiles: list[np.ndarray] = []
    for label, valence, arousal in EMOTIONS:
        scene = Scene(size, face=face)
        scene.set_mode("idle")
        scene.set_emotion(valence, arousal, 0.0)
        tiles.append(_tile(scene.render(2.0).copy(), scene, f"{face} {label}", face_only=True))
    cue_s = 0.4
    cues = [VisemeCue(v, 0.5 + i * cue_s, 0.5 + (i + 1) * cue_s)
            for i, v in enumerate(OTHER_VISEMES)]
    scene = Scene(size, face=face)
    scene.speak(0.0, cues, " ".join(OTHER_VISEMES), duration=cues[-1].end + 0.5)
    for cue in cues:
        t = cue.start + 0.6 * cue_s - ANTICIPATION_S
        tiles.append(_tile(scene.render(t).copy(), scene, f"{face} {cue.viseme}",
                           face_only=True))
    return tiles


def _sign_tile(size: tuple[int, int], text: str, label: str, face: str) -> np.ndarray:
    """``text`` signed through the scene, at the stroke of its last keyframe."""
    scene = Scene(size, face=face)
    scene.set_mode("idle")
    scene.sign(0.0, text)
    signed = scene.signing
    assert signed is not None
    start, end = signed.track.holds(0)[-1]
    t = signed.track_start + start + 0.6 * (end - start)
    return _tile(scene.render(t).copy(), scene, f"sign {label}")


def contact_sheet(size: tuple[int, int] = (540, 960), columns: int = 6,
                  face: str = DEFAULT_FACE) -> np.ndarray:
    """The sheet as one BGR image: everything with ``face`` (the kiosk's default), then
    the other face style's emotions and mouth shapes."""
    tiles: list[np.ndarray] = []
    for label, valence, arousal in EMOTIONS:
        scene = Scene(size, face=face)
        scene.set_mode("idle")
        scene.set_emotion(valence, arousal, 0.0)
        tiles.append(_tile(scene.render(2.0).copy(), scene, label, face_only=True))
    scene = Scene(size, face=face)
    scene.set_mode("listening")
    scene.acknowledge(1.0)
    tiles.append(_tile(scene.render(1.3).copy(), scene, "listening nod", face_only=True))
    for bearing, label in ((-40.0, "looks at a visitor, left"), (40.0, "... and right")):
        scene = Scene(size, face=face)
        scene.set_mode("idle")
        scene.look_at(bearing, 0.0)
        tiles.append(_tile(scene.render(2.0).copy(), scene, label, face_only=True))
    for gesture in GESTURES:
        scene = Scene(size, face=face)
        scene.set_mode("idle")
        scene.perform(gesture, 0.0)
        tiles.append(_tile(scene.render(0.9).copy(), scene, gesture))
    for text, label in SIGN_POSES:
        tiles.append(_sign_tile(size, text, label, face))
    cue_s = 0.25
    cues = [VisemeCue(v, 0.5 + i * cue_s, 0.5 + (i + 1) * cue_s)
            for i, v in enumerate(PANGRAM_VISEMES)]
    scene = Scene(size, face=face)
    scene.speak(0.0, cues, PANGRAM, duration=cues[-1].end + 0.5)
    for i, cue in enumerate(cues):
        t = cue.start + 0.6 * cue_s - ANTICIPATION_S
        tiles.append(_tile(scene.render(t).copy(), scene, f"{i + 1:02d} {cue.viseme}",
                           face_only=True))
    tiles.extend([np.full_like(tiles[0], 255)] * (-len(tiles) % columns))
    tiles.extend(_other_face_tiles(size, "drawn" if face == "mesh" else "mesh"))
    sheet = _grid(tiles, columns)
    title = np.full((44, sheet.shape[1], 3), 255, np.uint8)
    other = "drawn" if face == "mesh" else "mesh"
    cv2.putText(title, f"kiosk avatar, {face} face: emotions, gestures, ASL signs, the mouth "
                f"shapes of a pangram; then the {other} face",
                (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (40, 40, 40), 1, cv2.LINE_AA)
    return np.vstack([title, sheet])


def write_contact_sheet(path: str | Path) -> Path:
    """Render the sheet and write it as PNG."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.setNumThreads(1)
    if not cv2.imwrite(str(out), contact_sheet()):
        raise OSError(f"cannot write {out}")
    logger.info("wrote %s", out)
    return out


if __name__ == "__main__":
    print(write_contact_sheet(sys.argv[1] if len(sys.argv) > 1 else "out/avatar-sheet.png"))
