"""Avatar benchmarks: render time per frame, A/V sync on a recorded MP4, soak drops.

``run(quick)`` returns one nested dict with unit-named keys; ``make bench`` merges
it into build/bench.json. Render timing is single-threaded (``cv2.setNumThreads(1)``)
at 1080x1920, the kiosk's portrait screen.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

from appliance.avatar.lipcheck import live_reply_check
from appliance.avatar.pacer import FramePacer
from appliance.avatar.scene import Scene
from appliance.avatar.sync import measure_av_sync, sync_probe
from appliance.avatar.video import render_reply_video
from appliance.frames import PhonemeTiming, VisemeCue

SIZE = (1080, 1920)
FPS = 30
_FIXTURE = Path(__file__).resolve().parents[2] / "tests/fixtures/avatar/piper_reply.json"
_TEXT = "Hello! Yes, the nearest toilet is on your left, just past the ticket gates."


def _reply() -> tuple[str, list[VisemeCue], list[PhonemeTiming], float]:
    """A real Piper reply's cues and phonemes (fixture), else a synthetic one."""
    if _FIXTURE.exists():
        data = json.loads(_FIXTURE.read_text(encoding="utf-8"))
        cues = [VisemeCue(*c) for c in data["cues"]]
        return data["text"], cues, [PhonemeTiming(*p) for p in data["phonemes"]], cues[-1].end
    _, cues = sync_probe(8)
    return _TEXT, cues, [], cues[-1].end


def _speaking_scene(size: tuple[int, int], face: str = "drawn") -> tuple[Scene, float]:
    text, cues, phonemes, duration = _reply()
    scene = Scene(size, face=face)
    scene.heard("Excuse me, where is the nearest toilet?")
    scene.set_emotion(0.5, 0.5, 0.0)
    scene.look_at(20.0, 0.0)
    scene.speak(0.0, cues, text, phonemes, duration=duration)
    return scene, duration


def render_timing(frames: int, size: tuple[int, int] = SIZE,
                  face: str = "drawn") -> dict[str, float]:
    """Per-frame render time (ms) over a talking, gesturing reply, looped."""
    cv2.setNumThreads(1)
    scene, duration = _speaking_scene(size, face)
    scene.render(0.0)
    times = []
    for i in range(frames):
        t = (i / FPS) % duration
        start = time.perf_counter()
        scene.render(t)
        times.append((time.perf_counter() - start) * 1000.0)
    arr = np.array(times)
    return {"p50": round(float(np.percentile(arr, 50)), 3),
            "p95": round(float(np.percentile(arr, 95)), 3),
            "max": round(float(arr.max()), 3),
            "fps_at_p50": round(1000.0 / float(np.percentile(arr, 50)), 1)}


def av_sync(size: tuple[int, int], bursts: int) -> dict[str, Any]:
    """Record tone bursts with matching ``aa`` cues to MP4, decode, compare onsets."""
    pcm, cues = sync_probe(bursts)
    with tempfile.TemporaryDirectory() as tmp:
        path = render_reply_video(Path(tmp) / "sync.mp4", pcm, 22_050, cues, size=size, fps=FPS)
        report = measure_av_sync(path, size, FPS, 22_050)
    late = [o for o in report.offsets_ms if o > 1000.0 / FPS]
    return {"offset_ms": {"mean": round(report.mean_ms, 2), "max_abs": round(report.max_abs_ms, 2)},
            "onsets_matched": len(report.offsets_ms), "onsets": bursts,
            "frames_late": len(late), "size": f"{size[0]}x{size[1]}"}


def soak(seconds: float, size: tuple[int, int] = SIZE, face: str = "drawn") -> dict[str, Any]:
    """Paced real-time rendering of back-to-back replies; counts missed deadlines."""
    cv2.setNumThreads(1)
    scene, duration = _speaking_scene(size, face)
    text, cues, phonemes, _ = _reply()
    clock = time.monotonic
    pacer = FramePacer(FPS, clock())
    next_reply = duration + 1.0
    frames = 0
    end = pacer.t0 + seconds
    while (due := pacer.deadline()) < end:
        wait = due - clock()
        if wait > 0:
            time.sleep(wait)
        t = due - pacer.t0
        if t >= next_reply:  # a new turn: the visitor spoke, the avatar answers again
            scene.heard("And where can I buy a ticket?")
            scene.speak(t, cues, text, phonemes, duration=duration)
            next_reply = t + duration + 1.0
        scene.render(t)
        frames += 1
        pacer.advance(clock())
    total = frames + pacer.dropped
    return {"duration_s": seconds, "frames": frames, "dropped_frames": pacer.dropped,
            "dropped_pct": round(100.0 * pacer.dropped / max(1, total), 3)}


def lipsync_under_stress(face: Literal["drawn", "mesh"] = "drawn") -> dict[str, Any]:
    """A live reply (Piper voice) with every core busy: mouth vs sound as shown."""
    try:
        report = live_reply_check(stress=True, face=face)
    except Exception as exc:  # no voice installed: say so, keep the other figures
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"correlation": report.correlation,
            "longest_closed_voiced_ms": round(report.longest_closed_voiced_s * 1000.0, 1),
            "frames_shown": report.frames, "fps_shown": round(report.fps, 1),
            "reply_s": report.seconds, "size": "540x960",
            "stress": f"{os.cpu_count()} spinning processes + 1 spinning thread"}


def run(quick: bool = False) -> dict[str, Any]:
    """All avatar numbers; ``quick`` shortens the soak and the sync probe."""
    out: dict[str, Any] = {
        "render_ms_1080x1920": render_timing(90 if quick else 600),
        "render_ms_540x960": render_timing(60 if quick else 300, (540, 960)),
        "av_sync": av_sync((540, 960) if quick else SIZE, 4 if quick else 10),
        "soak": soak(5.0 if quick else 300.0),
        "lipsync_under_stress": lipsync_under_stress(),
        "mesh_face": {  # [avatar] face = "mesh" (the kiosk's default): the face mesh's figures
            "render_ms_1080x1920": render_timing(90 if quick else 600, face="mesh"),
            "render_ms_540x960": render_timing(60 if quick else 300, (540, 960), face="mesh"),
            "lipsync_under_stress": lipsync_under_stress("mesh"),
            "soak": soak(5.0 if quick else 60.0, face="mesh"),
        },
        "threads": 1,
    }
    return out


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
