"""Hand landmarks from camera frames with MediaPipe Hands (optional, imported lazily).

MediaPipe 0.10.18 is the last release whose aarch64 cp310 and x86_64 cp311 wheels carry
the palm and hand-landmark ``.tflite`` models inside the package (Apache-2.0), so
nothing is downloaded at run time. It pins ``numpy<2`` and ``protobuf<5``, which the
development venv does not meet, so it is an optional extra (docs/sign-language.md).
Without it, :class:`MediaPipeLandmarker` raises :class:`SignInputError` with the stable
code ``sign-landmarker-missing`` and the kiosk runs on without sign input.

Uses the long-stable ``mediapipe.solutions.hands`` API: ``Hands(...).process(rgb)``
returns ``multi_hand_landmarks`` (21 ``landmark`` entries with x, y, z each) and
``multi_handedness`` (``classification[0].label`` / ``.score``).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import numpy as np

from appliance.sign.input.landmarks import HandLandmarks, LandmarkFrame, SignInputError

logger = logging.getLogger(__name__)

MISSING = "sign-landmarker-missing"
"""Error code: mediapipe is not installed (install the ``sign`` extra)."""


def load_mediapipe(name: str = "mediapipe") -> ModuleType:
    """The mediapipe module, or :class:`SignInputError` (code :data:`MISSING`) when it is
    not installed or cannot be imported."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise SignInputError(
            "sign input needs mediapipe 0.10.18 (pip install 'kiosk-appliance[sign]' on a "
            "numpy 1.x image); it is not installed", code=MISSING) from exc
    except Exception as exc:  # installed but broken: numpy 2 or protobuf 5+ beside it
        raise SignInputError(
            f"mediapipe is installed but cannot be imported ({type(exc).__name__}: "
            f"{str(exc)[:200]}); it needs numpy<2 and protobuf<5", code=MISSING) from exc


class MediaPipeLandmarker:
    """One hand per RGB frame (``uint8`` H x W x 3) through MediaPipe Hands."""

    def __init__(self, model_complexity: int = 0, min_detection: float = 0.5,
                 min_tracking: float = 0.5, module: ModuleType | None = None) -> None:
        mp = module if module is not None else load_mediapipe()
        # complexity 0 (the lite model) measured ~7 ms a frame on one x86 core
        self._hands: Any = mp.solutions.hands.Hands(
            static_image_mode=False, max_num_hands=1, model_complexity=model_complexity,
            min_detection_confidence=min_detection, min_tracking_confidence=min_tracking)

    def detect(self, rgb: np.ndarray) -> HandLandmarks | None:
        """The hand in ``rgb``, or ``None`` when MediaPipe finds none."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise SignInputError(f"an RGB uint8 frame is needed, got {rgb.shape} "
                                 f"{rgb.dtype}", code="sign-bad-frame")
        results = self._hands.process(rgb)
        found = getattr(results, "multi_hand_landmarks", None)
        if not found:
            return None
        points = np.array([(p.x, p.y, p.z) for p in found[0].landmark], dtype=np.float64)
        label, score = "Right", 1.0
        handed = getattr(results, "multi_handedness", None)
        if handed:
            best = handed[0].classification[0]
            label, score = str(best.label), float(best.score)
        return HandLandmarks(points, label, score, rgb.shape[1] / rgb.shape[0])

    def close(self) -> None:
        self._hands.close()


class MediaPipeSource:
    """A :class:`~appliance.sign.input.landmarks.LandmarkSource` over timed RGB frames.

    ``camera`` yields ``(t, rgb)``; ``rgb`` may be ``None`` (nobody there: a frame with no
    hand, the model is not run). Detection runs on one worker thread of its own, so the
    event loop never waits on the model. A frame the landmarker fails on counts as "no
    hand" (:attr:`errors`; the first failure of each code is logged) and the source goes on.
    """

    def __init__(self, camera: AsyncIterator[tuple[float, np.ndarray | None]],
                 landmarker: MediaPipeLandmarker) -> None:
        self._camera = camera
        self._landmarker = landmarker
        self._pool: ThreadPoolExecutor | None = None
        self.errors = 0
        """Frames the landmarker failed on."""
        self._logged: set[str] = set()

    async def frames(self) -> AsyncIterator[LandmarkFrame]:
        loop = asyncio.get_running_loop()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="sign-landmarks")
        async for t, rgb in self._camera:
            hand = None
            if rgb is not None:
                try:
                    hand = await loop.run_in_executor(self._pool, self._landmarker.detect, rgb)
                except Exception as exc:  # one bad frame must not end sign input
                    self._failed(exc)
            yield LandmarkFrame(t, hand)

    def _failed(self, exc: Exception) -> None:
        self.errors += 1
        code = getattr(exc, "code", type(exc).__name__)
        if code not in self._logged:
            self._logged.add(code)
            logger.warning("sign input: the hand landmarker failed on a frame (%s) [%s]; "
                           "such frames count as no hand", exc, code)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True)  # a detect still running ends first
        self._landmarker.close()
