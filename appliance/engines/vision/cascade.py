"""Face detection with OpenCV's own Haar cascades (shipped in ``opencv-python-headless``).

Frontal faces are visitors facing the screen; with ``profiles`` on, faces
seen from the side are counted too (``frontal=False``) so engagement can tell
a passer-by from someone looking at the kiosk. Images are downscaled to
``max_width`` first: detection cost grows with pixels, and a visitor worth
greeting is never tiny.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from appliance.engines.vision.base import Face, FaceDetector
from appliance.engines.vision.tracker import iou
from appliance.errors import EngineLoadError

logger = logging.getLogger(__name__)

SCALE_FACTOR = 1.2
"""Default step between the image scales searched."""
SCALE_FACTOR_RANGE = (1.01, 2.0)

FRONTAL = "haarcascade_frontalface_default.xml"
PROFILE = "haarcascade_profileface.xml"


def cascade_path(name: str) -> Path:
    """Where OpenCV keeps the named cascade; raises :class:`EngineLoadError` if absent."""
    import cv2

    folder = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or ".")
    path = folder / name
    if not path.is_file():
        raise EngineLoadError(f"OpenCV cascade {name} not found in {folder} "
                              "(opencv-python-headless 4.x ships it)")
    return path


def _load(name: str) -> Any:
    import cv2

    classifier = cv2.CascadeClassifier(str(cascade_path(name)))
    if classifier.empty():
        raise EngineLoadError(f"OpenCV could not load cascade {name}")
    return classifier


class CascadeFaceDetector(FaceDetector):
    """Viola-Jones face detector on the CPU.

    ``scale_factor`` is the step between the image scales searched: 1.2 costs about
    half of 1.1 (one core of this CPU: ~55 ms against ~100 ms per VGA frame) and, on a
    video stream with a tracker, misses a face for a frame at most.
    """

    name = "opencv-haar"

    def __init__(self, *, max_width: int = 640, min_face_px: int = 36, neighbors: int = 5,
                 profiles: bool = False, scale_factor: float = SCALE_FACTOR) -> None:
        low, high = SCALE_FACTOR_RANGE
        if not low <= scale_factor <= high:
            raise EngineLoadError(f"face detector scale_factor {scale_factor} not in "
                                  f"{low}..{high}")
        self.scale_factor = scale_factor
        self.max_width = max_width
        self.min_face_px = min_face_px
        self.neighbors = neighbors
        self._frontal = _load(FRONTAL)
        self._profile = _load(PROFILE) if profiles else None

    def detect(self, image: np.ndarray) -> list[Face]:
        import cv2

        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        scale = 1.0
        if gray.shape[1] > self.max_width:
            scale = self.max_width / gray.shape[1]
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        gray = cv2.equalizeHist(gray)
        size = (self.min_face_px, self.min_face_px)
        faces = [self._face(box, scale, True) for box in self._run(self._frontal, gray, size)]
        if self._profile is not None:
            width = gray.shape[1]
            sides = list(self._run(self._profile, gray, size))
            flipped = self._run(self._profile, cv2.flip(gray, 1), size)
            sides += [(width - x - w, y, w, h) for x, y, w, h in flipped]
            for box in sides:
                face = self._face(box, scale, False)
                if all(iou(face, f) < 0.3 for f in faces):
                    faces.append(face)
        return faces

    def _run(self, cascade: Any, gray: np.ndarray, size: tuple[int, int]) -> list[Any]:
        boxes = cascade.detectMultiScale(gray, scaleFactor=self.scale_factor,
                                         minNeighbors=self.neighbors,
                                         minSize=size)
        return list(boxes) if len(boxes) else []

    @staticmethod
    def _face(box: Any, scale: float, frontal: bool) -> Face:
        x, y, w, h = (int(np.round(v / scale)) for v in box)
        return Face(x, y, w, h, score=1.0 if frontal else 0.5, frontal=frontal)
