"""A scripted face detector for tests of the parts around vision."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from appliance.engines.vision.base import Face, FaceDetector


class FakeFaceDetector(FaceDetector):
    """Returns the next list of faces from a script (then the last one forever)."""

    name = "fake-vision"

    def __init__(self, script: Iterable[list[Face]] = ()) -> None:
        self.script = list(script)
        self.calls = 0

    def detect(self, image: np.ndarray) -> list[Face]:
        if not self.script:
            return []
        faces = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        return list(faces)
