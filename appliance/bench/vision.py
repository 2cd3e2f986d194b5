"""Vision benchmark: face detection speed at 640x480 on this CPU.

``run(quick)`` times the Haar detector on one core (as in ``kiosk run``) on a VGA
frame with one face (the astronaut photograph scikit-image ships, placed on a
640x480 canvas) and on a frame without people, at the default scale step and at
1.1, frontal-only and with profiles, and the whole engine (detector + tracker +
engagement) per frame.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from appliance.engines.vision.cascade import CascadeFaceDetector
from appliance.engines.vision.engine import VisionEngine


def _frames() -> tuple[np.ndarray, np.ndarray, str]:
    import cv2

    canvas = np.full((480, 640, 3), 90, np.uint8)
    try:
        from skimage import data
    except ImportError:  # scikit-image is a dev dependency
        return canvas, canvas.copy(), "blank frames (scikit-image not installed)"
    face = canvas.copy()
    face[:, 80:560] = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (480, 480))
    empty = cv2.resize(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR), (640, 480))
    return face, empty, "skimage astronaut (1 face) and coffee (none), 640x480"


def _time(fn: Any, image: np.ndarray, repeats: int) -> dict[str, float]:
    fn(image)  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(image)
        samples.append((time.perf_counter() - start) * 1000)
    p50 = float(np.percentile(samples, 50))
    return {"p50": round(p50, 2), "p95": round(float(np.percentile(samples, 95)), 2),
            "fps": round(1000.0 / p50, 1)}


def run(quick: bool = False) -> dict[str, Any]:
    """Face detection latency (ms) and FPS at 640x480."""
    import cv2

    cv2.setNumThreads(1)  # as in `kiosk run` (the live avatar sets it for the process)
    repeats = 10 if quick else 50
    face, empty, frames = _frames()
    frontal = CascadeFaceDetector()
    profiles = CascadeFaceDetector(profiles=True)
    engine = VisionEngine(frontal)
    clock = iter(range(10**9))
    result: dict[str, Any] = {
        "frames": frames,
        "detector": "opencv-haar",
        "scale_factor": frontal.scale_factor,
        "threads": 1,
        "faces_found": len(frontal.detect(face)),
        "detect_ms": {"face_frame": _time(frontal.detect, face, repeats),
                      "empty_frame": _time(frontal.detect, empty, repeats)},
        "detect_scale_1_1_ms": _time(CascadeFaceDetector(scale_factor=1.1).detect, face,
                                     max(5, repeats // 2)),
        "detect_with_profiles_ms": _time(profiles.detect, face, max(5, repeats // 2)),
        "engine_frame_ms": _time(lambda img: engine.process(img, now=next(clock) / 10),
                                 face, repeats),
    }
    return result


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(quick=True), indent=2))
