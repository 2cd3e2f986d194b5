"""Vision on real photographs (scikit-image ships them), tracking, engagement, fusion."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.engines.vision.base import Face
from appliance.engines.vision.cascade import CascadeFaceDetector
from appliance.engines.vision.engagement import bearing_from_x
from appliance.engines.vision.engine import VisionEngine
from appliance.engines.vision.fake import FakeFaceDetector
from appliance.engines.vision.fusion import pick_active_speaker

cv2 = pytest.importorskip("cv2")
skdata = pytest.importorskip("skimage.data")


def bgr(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def vga(image: np.ndarray, x_offset: int = 64) -> np.ndarray:
    """Place a photo on a 640x480 frame, as a camera would deliver it."""
    frame = np.full((480, 640, 3), 90, np.uint8)
    scaled = cv2.resize(image, (480, 480))
    frame[:, x_offset:x_offset + 480] = scaled
    return frame


@pytest.fixture(scope="module")
def detector() -> CascadeFaceDetector:
    return CascadeFaceDetector()


def test_finds_the_astronauts_face(detector: CascadeFaceDetector) -> None:
    faces = detector.detect(bgr(skdata.astronaut()))
    assert len(faces) == 1
    cx, cy = faces[0].center
    assert 190 < cx < 260 and 80 < cy < 150  # her face, in the 512x512 photo
    assert faces[0].frontal


@pytest.mark.parametrize("name", ["coffee", "rocket", "chelsea", "brick"])
def test_no_face_in_photos_without_people(detector: CascadeFaceDetector, name: str) -> None:
    image = getattr(skdata, name)()
    image = bgr(image) if image.ndim == 3 else np.stack([image] * 3, axis=-1)
    assert detector.detect(image) == []


def test_blank_frame_has_no_face(detector: CascadeFaceDetector) -> None:
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)) == []


def test_visitor_approaches_engages_and_leaves(detector: CascadeFaceDetector) -> None:
    engine = VisionEngine(detector, engage_after_s=1.0, leave_after_s=2.0)
    person, empty = vga(bgr(skdata.astronaut())), vga(bgr(skdata.coffee()))
    timeline = [(t / 10, empty) for t in range(3)] + [(t / 10, person) for t in range(3, 20)]
    timeline += [(2.0 + t / 2, empty) for t in range(1, 7)]
    presences = [p for t, img in timeline if (p := engine.process(img, now=t)) is not None]
    events = [(p.event, p.ts) for p in presences if p.event]
    assert [e for e, _ in events] == ["approached", "engaged", "left"]
    approached, engaged, left = (ts for _, ts in events)
    assert approached <= 0.5 and engaged - approached >= 0.9 and left >= 3.9
    engaged_frame = next(p for p in presences if p.event == "engaged")
    assert engaged_frame.faces == 1 and engaged_frame.nearest_bearing_deg is not None
    assert not hasattr(engaged_frame, "image")  # only counts and bearings leave the engine


def test_camera_bearing_convention() -> None:
    assert bearing_from_x(320, 640, 70) == 0
    assert bearing_from_x(640, 640, 70) == pytest.approx(-35)  # image right = visitor's left
    assert bearing_from_x(0, 640, 70, mirrored=True) == pytest.approx(-35)


def test_two_people_fused_with_the_voice() -> None:
    left, right = Face(40, 200, 90, 90), Face(500, 200, 60, 60)
    engine = VisionEngine(FakeFaceDetector([[left, right]]))
    for t in range(3):
        engine.process(np.zeros((480, 640, 3), np.uint8), now=t * 0.1)
    quiet = engine.active_speaker(None)
    assert quiet.source == "camera" and quiet.bearing_deg is not None and quiet.bearing_deg > 0
    voice_right = engine.active_speaker(-25.0)  # the smaller face on the image right speaks
    assert voice_right.source == "fused" and voice_right.bearing_deg is not None
    assert voice_right.bearing_deg < 0
    assert pick_active_speaker({}, 40.0).source == "audio"
    assert pick_active_speaker({}, None).source == "none"
