"""A contact sheet of the signing avatar for a human to look at.

Rows: station signs at the stroke of their main keyframe, then the fingerspelling
alphabet and the numbers 0-10 (zoomed on the signing hand). Every tile is drawn by
the real renderer from the real track.

    python -m appliance.sign.sheet out/sign-sheet.png
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import cv2
import numpy as np

from appliance.avatar.layout import layout_for
from appliance.sign import fingerspell
from appliance.sign.gloss import GlossItem
from appliance.sign.lexicon import load
from appliance.sign.render import render_sign
from appliance.sign.timeline import SignTrack, build_track

logger = logging.getLogger(__name__)

SIGNS = ("TOILET", "EXIT", "LIFT", "STAIRS", "ESCALATOR", "TICKET", "TRAIN", "PLATFORM",
         "LINE", "LEFT", "RIGHT", "STRAIGHT", "UP", "DOWN", "HELP", "WAIT", "THANK-YOU",
         "SORRY", "YES", "NO", "PLEASE", "WHERE", "HOW-MUCH", "CARD", "PAY", "LOST", "STAFF",
         "POLICE", "DOCTOR", "DANGER", "FIRE", "CLOSED", "OPEN", "LATE", "NEXT", "MINUTE")
"""The signs shown (the issue's list)."""
SIZE = (540, 960)
TILE = (200, 240)


def _stroke_time(track: SignTrack) -> float:
    """Most of the way into the only item's last hold (its stroke, after the movement)."""
    start, end = track.holds(0)[-1]
    return start + 0.6 * (end - start)


def _crop(frame: np.ndarray, centre: tuple[float, float], half: float) -> np.ndarray:
    lay = layout_for(*SIZE)
    hx, hy = lay.head
    s = lay.scale
    cx, cy = hx + centre[0] * s, hy + centre[1] * s
    hw, hh = half * s, half * s * TILE[1] / TILE[0]
    x0, y0 = max(0, int(cx - hw)), max(0, int(cy - hh))
    crop = frame[y0 : int(cy + hh), x0 : int(cx + hw)]
    return cv2.resize(crop, TILE, interpolation=cv2.INTER_AREA)


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    cv2.rectangle(tile, (0, TILE[1] - 24), (TILE[0], TILE[1]), (70, 48, 34), -1)
    cv2.putText(tile, text, (6, TILE[1] - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (250, 250, 250),
                1, cv2.LINE_AA)
    return tile


def _item_tile(item: GlossItem, label: str, zoom: bool) -> np.ndarray:
    track = build_track([item])
    frame = render_sign(track.sample(_stroke_time(track)), SIZE)
    # fingerspelling: zoom on the hand beside the chin (on the viewer's left)
    centre, half = ((-190.0, 300.0), 190.0) if zoom else ((0.0, 330.0), 470.0)
    return _label(_crop(frame, centre, half), label)


def contact_sheet(columns: int = 8) -> np.ndarray:
    """The sheet as one BGR image."""
    lex = load()
    tiles = [_item_tile(GlossItem(g, "sign", (0, 0), lex.signs[g].keys), g, False)
             for g in SIGNS if g in lex.signs]
    tiles += [_item_tile(GlossItem(c, "spell", (0, 0), fingerspell.spell(c)), c.upper(), True)
              for c in "abcdefghijklmnopqrstuvwxyz"]
    tiles += [_item_tile(GlossItem(f"#{n}", "number", (0, 0), fingerspell.number(n)), str(n),
                         True) for n in range(11)]
    blank = np.full_like(tiles[0], 255)
    rows = [np.hstack(tiles[i : i + columns] + [blank] * (columns - len(tiles[i : i + columns])))
            for i in range(0, len(tiles), columns)]
    sheet = np.vstack(rows)
    title = np.full((40, sheet.shape[1], 3), 255, np.uint8)
    cv2.putText(title, f"signing avatar ({lex.language.upper()}): station signs, alphabet, "
                "numbers - approximations, not validated by Deaf signers", (8, 27),
                cv2.FONT_HERSHEY_SIMPLEX, 0.6, (40, 40, 40), 1, cv2.LINE_AA)
    return np.vstack([title, sheet])


def write_contact_sheet(path: str | Path) -> Path:
    """Render the sheet and write it as PNG."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out), contact_sheet()):
        raise OSError(f"cannot write {out}")
    logger.info("wrote %s", out)
    return out


if __name__ == "__main__":
    print(write_contact_sheet(sys.argv[1] if len(sys.argv) > 1 else "out/sign-sheet.png"))
