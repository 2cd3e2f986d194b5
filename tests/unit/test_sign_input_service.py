"""Sign input in `kiosk run`: ``[sign] input`` reads fingerspelling from the kiosk's camera.

The daemon, the settings loader, the behaviour runner, the presence watcher, the sim
camera (a folder of frames), the frame tap, the MediaPipe landmarker class and source,
the letter classifier, the speller and the kiosk's pipeline are the real ones. Two
things stand in: the engines are fast ones (keyword NLU and the site pack's answers,
a fake voice), and ``mediapipe`` is a module shaped like its ``solutions.hands`` API
that reads which letter a sim camera frame shows (its pixel value) and returns a
*synthetic* hand from our own hand model holding that letter (mediapipe pins numpy<2
and is not in this venv). So this shows the wiring, not how well real hands are read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest

from appliance.app import Kiosk
from appliance.behavior.runner import BehaviourRunner
from appliance.devices import hardware
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.nlu.keyword import KeywordNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.qa.site_qa import SiteQa
from appliance.engines.safety.fake import FakeSafety
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.engines.vision.base import Face
from appliance.engines.vision.engine import VisionEngine
from appliance.engines.vision.fake import FakeFaceDetector
from appliance.service import daemon
from appliance.service import sign_input as service
from appliance.service.sign_input import NO_CAMERA, start_sign_input
from appliance.service.telemetry_link import kiosk_health
from appliance.settings import BehaviorSettings, Settings, SignSettings, default_log_path
from appliance.sign.input.classifier import LetterClassifier, train_fingerspelling
from appliance.sign.input.mediapipe_source import MISSING
from appliance.sign.input.synth import DEFAULT_JITTER, STATIC_LETTERS, sample
from appliance.sitepack import bundled_sitepack_dir, load_sitepack
from appliance.system import journal
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker
from hw.camera import SimCamera

CAMERA_FPS = 30
SIGN_FPS = 15
HEIGHT, WIDTH = 120, 160
VISITOR = Face(50, 20, 60, 60)  # close, in the middle
WORD = "toilet"


def frame(value: int) -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), value, np.uint8)


def spelling(word: str, lead_s: float = 1.5) -> list[int]:
    """One value per camera frame: 0 no hand, else 1 + the letter's index, each sign frame
    shown for two camera frames; blank before (the visitor steps up) and a long pause
    after (the camera loops the folder)."""
    signs = [0] * round(lead_s * SIGN_FPS)
    for letter in word:
        signs += [0] + [1 + STATIC_LETTERS.index(letter)] * 5  # a move, then a hold
    signs += [0] * 8 * SIGN_FPS
    return [v for v in signs for _ in range(CAMERA_FPS // SIGN_FPS)]


def write_frames(folder: Path, values: list[int]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, value in enumerate(values):
        cv2.imwrite(str(folder / f"{i:05d}.png"), frame(value))
    return folder


class SpellingHands:
    """``mediapipe.solutions.hands.Hands``: a synthetic hand for the letter a frame shows."""

    made: ClassVar[list[SpellingHands]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.rng = np.random.default_rng(21)
        self.calls = 0
        self.closed = False
        SpellingHands.made.append(self)

    def process(self, rgb: np.ndarray) -> SimpleNamespace:
        self.calls += 1
        value = int(rgb[0, 0, 0])
        if not value:
            return SimpleNamespace(multi_hand_landmarks=None, multi_handedness=None)
        hand = sample(STATIC_LETTERS[value - 1], self.rng, DEFAULT_JITTER.scaled(0.5),
                      aspect=rgb.shape[1] / rgb.shape[0])
        marks = SimpleNamespace(landmark=[SimpleNamespace(x=p[0], y=p[1], z=p[2])
                                          for p in hand.points])
        side = SimpleNamespace(classification=[SimpleNamespace(label="Right", score=0.97)])
        return SimpleNamespace(multi_hand_landmarks=[marks], multi_handedness=[side])

    def close(self) -> None:
        self.closed = True


def stand_in() -> ModuleType:
    mp = ModuleType("mediapipe")
    mp.solutions = SimpleNamespace(hands=SimpleNamespace(Hands=SpellingHands))  # type: ignore[attr-defined]
    return mp


@pytest.fixture(scope="module")
def model() -> LetterClassifier:
    return train_fingerspelling()


def site_engines(_settings: Any) -> Engines:
    pack = load_sitepack(bundled_sitepack_dir())
    return Engines(FakeVad(), FakeAsr(), KeywordNlu(pack), SiteQa(pack), FakeTts(16_000),
                   PhonemeLipSync(), safety=FakeSafety(None))


def kiosk_toml(root: Path, frames: Path, sign: bool = True) -> None:
    config = root / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"""
[audio]
backend = "sim"
[avatar]
mjpeg_port = 0
window = false
[camera]
enabled = true
source = "sim"
sim_source = "{frames}"
fps = {CAMERA_FPS}
[vision]
engine = "fake"
[behavior]
greet = false
vision_fps = 10.0
tick_hz = 10.0
[sign]
input = {"true" if sign else "false"}
fps = {SIGN_FPS}.0
""")


class Run:
    """``kiosk run --duration`` through the daemon, keeping what it built; it ends early
    once ``until(kiosk)`` holds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, faces: list[list[Face]],
                 until: Callable[[Kiosk], bool] = lambda _k: False) -> None:
        self.kiosk: Kiosk | None = None
        self.cameras: list[Any] = []

        class EndsEarly(Kiosk):
            async def run(self, timeout: float | None = None) -> Any:
                async def done() -> None:
                    while not until(self):
                        await asyncio.sleep(0.05)

                running = asyncio.create_task(super().run(timeout))
                watch = asyncio.create_task(done())
                await asyncio.wait({running, watch}, return_when=asyncio.FIRST_COMPLETED)
                for task in (watch, running):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                return self.recorder

        monkeypatch.setattr(daemon, "Kiosk", EndsEarly)
        monkeypatch.setattr(daemon, "create_engines", site_engines)
        monkeypatch.setattr(daemon, "warm_up", lambda _engines: None)
        monkeypatch.setattr(hardware, "build_detector", lambda _s: FakeFaceDetector(faces))
        real_camera, real_serve = hardware.build_camera, daemon.serve

        def build_camera(settings: Any) -> Any:
            camera = real_camera(settings)
            opened = camera.frames

            def frames() -> Any:  # count who reads the camera
                self.cameras.append(camera)
                return opened()

            camera.frames = frames
            return camera

        async def serve(*args: Any, **kwargs: Any) -> Kiosk:
            self.kiosk = await real_serve(*args, **kwargs)
            return self.kiosk

        monkeypatch.setattr(hardware, "build_camera", build_camera)
        monkeypatch.setattr(daemon, "serve", serve)
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)

    def __call__(self, duration: float) -> str:
        journal.hold_startup_records()
        try:
            assert daemon.run_service(argparse.Namespace(config=None, duration=duration)) == 0
        finally:
            for handler in logging.getLogger().handlers[:]:
                if handler.get_name() == "kiosk-file":
                    logging.getLogger().removeHandler(handler)
                    handler.close()
        return default_log_path().read_text()


def answered_in_sign(kiosk: Kiosk) -> bool:
    return any(t.asked.source == "sign" and t.reply is not None and t.audio
               for t in kiosk.recorder.turns.values())


def test_a_word_fingerspelled_at_the_camera_is_asked_and_answered_in_kiosk_run(
        kiosk_root: Path, monkeypatch: pytest.MonkeyPatch, model: LetterClassifier,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    frames = write_frames(kiosk_root / "frames", spelling(WORD))
    kiosk_toml(kiosk_root, frames)
    monkeypatch.setitem(sys.modules, "mediapipe", stand_in())
    monkeypatch.setattr(service, "_default_classifier", lambda: model)  # trained once here
    SpellingHands.made.clear()
    # nobody for the first frames the vision looks at, then a visitor stays
    run = Run(monkeypatch, [[]] * 4 + [[VISITOR]], until=answered_in_sign)
    started = time.monotonic()
    run(duration=20.0)
    elapsed = time.monotonic() - started
    log = caplog.text

    kiosk = run.kiosk
    assert kiosk is not None
    signed = [t for t in kiosk.recorder.turns.values() if t.asked.source == "sign"]
    assert signed, log
    turn = signed[0]
    assert turn.transcript == WORD and turn.asked.sign  # answered in sign too
    assert turn.understanding is not None and turn.understanding.intent == "find_toilet"
    assert turn.reply is not None and turn.reply.asked.source == "sign" and turn.audio
    assert f"sign question {WORD!r}" in log and "sign input: fingerspelling read" in log

    # one camera, opened once, shared with the vision
    assert len(run.cameras) == 1
    sign = kiosk.health_parts["sign_input"].__self__  # type: ignore[attr-defined]
    assert sign.state == "stopped" and sign.sign.asked == [turn.turn_id]
    assert sign.tap.skipped_absent > 0  # frames before the visitor were not looked at
    (hands,) = SpellingHands.made
    assert hands.closed and hands.kwargs["max_num_hands"] == 1
    # at most [sign] fps frames a second went to the landmarker (the camera gives 30)
    assert 6 * 5 < hands.calls <= SIGN_FPS * elapsed
    health = kiosk_health(kiosk)
    assert health["status"] == "ok" and health["sign_input"]["words"] == 1


def test_without_mediapipe_kiosk_run_goes_on_and_says_why_once(
        kiosk_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kiosk_toml(kiosk_root, write_frames(kiosk_root / "frames", [0] * 10))
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe -> ImportError
    trained: list[int] = []
    monkeypatch.setattr(service, "_default_classifier", lambda: trained.append(1))
    run = Run(monkeypatch, [[VISITOR]])
    log = run(duration=1.5)

    assert log.count(f"[{MISSING}]") == 1, log
    line = next(x for x in log.splitlines() if MISSING in x)
    assert "WARNING" in line and "sign input off" in line and "mediapipe" in line
    assert "Traceback" not in log and trained == []
    assert run.kiosk is not None and len(run.cameras) == 1  # the camera still serves presence
    health = kiosk_health(run.kiosk)
    assert health["status"] == "degraded"
    assert any(MISSING in reason for reason in health["degraded"])
    assert health["sign_input"]["state"] == "failed" and health["sign_input"]["code"] == MISSING


def fake_kiosk(settings: Settings) -> Kiosk:
    engines = Engines(FakeVad(), FakeAsr(), FakeNlu(), FakeQa(), FakeTts(), PhonemeLipSync())
    return Kiosk(settings, engines, SimMicrophone(np.zeros(160, np.int16)), SimSpeaker())


async def test_with_the_setting_off_nothing_starts() -> None:
    kiosk = fake_kiosk(Settings())
    assert not kiosk.settings.sign.input  # the default
    camera = SimCamera([frame(0)], fps=30, loop=True)
    vision = VisionEngine(FakeFaceDetector([[VISITOR]]))
    runner = BehaviourRunner(kiosk, BehaviorSettings(greet=False), camera=camera, vision=vision)
    runner.start()
    try:
        assert start_sign_input(kiosk, runner) is None
        await asyncio.sleep(0.1)
        assert runner.watcher.taps == []
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "sign-input"]
        health = kiosk_health(kiosk)
        assert "sign_input" not in health and health["status"] == "ok"
    finally:
        await asyncio.wait_for(runner.stop(), 5)


async def test_without_a_camera_sign_input_is_off_with_a_reason(
        caplog: pytest.LogCaptureFixture) -> None:
    on = Settings(sign=SignSettings(input=True))
    for runner_of in (lambda k: None, lambda k: BehaviourRunner(k, BehaviorSettings())):
        kiosk = fake_kiosk(on)
        runner = runner_of(kiosk)
        sign = start_sign_input(kiosk, runner)
        assert sign is not None and sign.state == "failed" and sign.code == NO_CAMERA
        assert kiosk_health(kiosk)["sign_input"]["code"] == NO_CAMERA
        assert any(NO_CAMERA in reason for reason in kiosk_health(kiosk)["degraded"])
        await sign.stop()
    assert "[behavior] enabled = false" in caplog.text
    assert "[camera] enabled = false" in caplog.text
    assert caplog.text.count(f"[{NO_CAMERA}]") == 2


def test_the_selftest_says_whether_sign_input_can_run(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    from provisioning import checks_system
    from provisioning.checks import CheckContext

    assert checks_system.check_sign(CheckContext(Settings())).status == "skip"
    on = Settings(sign=SignSettings(input=True))
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # find_spec: not installed
    result = checks_system.check_sign(CheckContext(on))
    assert result.status == "warn" and result.data["codes"] == [NO_CAMERA, MISSING]
    assert "[camera] enabled = false" in result.detail and "numpy<2" in result.detail

    ready = Settings(sign=SignSettings(input=True, fps=12),
                     camera=dataclasses.replace(Settings().camera, enabled=True))
    # installed but broken: its import fails as a numpy 2 beside it makes it fail
    (tmp_path / "mediapipe.py").write_text(
        "raise ImportError('numpy.core.multiarray failed to import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mediapipe")
    result = checks_system.check_sign(CheckContext(ready))
    assert result.status == "warn" and result.data["codes"] == [MISSING]
    assert "cannot be imported" in result.detail and "multiarray" in result.detail
    monkeypatch.setitem(sys.modules, "mediapipe", stand_in())
    result = checks_system.check_sign(CheckContext(ready))
    assert result.status == "pass" and "12 fps" in result.detail
    assert "synthetic hands only" in result.detail
