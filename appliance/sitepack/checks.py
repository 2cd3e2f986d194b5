"""Checks of the files a pack points at: media (images, videos) and live-data feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.sitepack.media import (
    MAX_CLIP_FRAMES,
    MAX_CLIP_S,
    image_readable,
    is_video,
    probe_video,
)
from appliance.sitepack.model import SAFETY_CATEGORIES, Problem, SlotValue
from appliance.sitepack.reader import FileReader

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def check_media(root: Path, rel: str, f: FileReader, path: tuple[Any, ...]) -> None:
    """A media path must stay inside the pack and be a PNG or JPEG image that decodes,
    or a video (by its suffix, :data:`~appliance.sitepack.media.VIDEO_SUFFIXES`) that
    this kiosk's OpenCV reads (a video longer than the avatar plays is a warning)."""
    target = (root / rel).resolve()
    if Path(rel).is_absolute() or root.resolve() not in target.parents:
        f.error(path, f"media path '{rel}' must be relative and inside the pack")
        return
    if not target.is_file():
        f.error(path, f"media file '{rel}' does not exist")
        return
    if is_video(rel):
        info = probe_video(target)
        if info is None:
            f.error(path, f"media file '{rel}' is not a video this kiosk can play (OpenCV "
                    "cannot read it; use .mp4 (MPEG-4/H.264), .webm (VP8/VP9) or .gif)")
        elif info.seconds > MAX_CLIP_S + 0.5 or info.frames > MAX_CLIP_FRAMES:
            f.warn(path, f"media video '{rel}' is longer than the avatar plays "
                   f"({MAX_CLIP_S:.0f} s or {MAX_CLIP_FRAMES} frames): only its start loops")
        return
    with target.open("rb") as fh:
        head = fh.read(8)
    if not (head.startswith(PNG_MAGIC) or head.startswith(JPEG_MAGIC)):
        f.error(path, f"media file '{rel}' is not a PNG or JPEG image")
    elif not image_readable(target):
        f.error(path, f"media file '{rel}' cannot be decoded (a damaged PNG or JPEG)")


def check_feed(root: Path, rel: str, problems: list[Problem],
               slots: dict[str, list[SlotValue]]) -> None:
    """Validate a live-data JSON file shipped in the pack."""
    from appliance.sitepack.live import parse_feed  # local: live imports reader too

    f = FileReader(root, rel, problems)
    if f.ok:
        parse_feed(f, slots)


TRAIN_SAFETY = ("none", "danger")


def check_training_lines(root: Path, intents: dict[str, Any], problems: list[Problem]) -> None:
    """Every line of ``train/*.jsonl`` is JSON with a known ``intent`` and, if given, a
    ``safety`` of none/danger (warnings: a bad line is skipped, the pack still loads)."""
    import json

    for path in sorted(root.glob("train/*.jsonl")):
        rel = str(path.relative_to(root))
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                 .splitlines(), 1):
            if not line.strip():
                continue
            why = ""
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                why = f"not JSON ({exc.msg})"
                row = {}
            if not why and "_meta" in row:
                continue
            if not why and not isinstance(row.get("text"), str):
                why = "no 'text'"
            elif not why and row.get("intent") not in intents:
                why = f"unknown intent '{row.get('intent')}'"
            elif not why and row.get("safety", "none") not in TRAIN_SAFETY:
                why = f"safety must be one of {', '.join(TRAIN_SAFETY)}"
            elif not why and row.get("safety") == "danger" and row.get("category") not in \
                    SAFETY_CATEGORIES:
                why = f"danger needs a category: {', '.join(SAFETY_CATEGORIES)}"
            if why:
                problems.append(Problem(rel, n, f"training line skipped: {why}", "warning"))
