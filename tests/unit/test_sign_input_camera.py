"""Sign input's share of the camera: the frame tap on the presence watcher (rate, RGB copy,
only while a visitor is there), the MediaPipe source over it, the speller timed per fps."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest

from appliance.devices.presence import PresenceWatcher
from appliance.engines.vision.engine import VisionEngine
from appliance.engines.vision.fake import FakeFaceDetector
from appliance.sign.input.camera import FrameTap
from appliance.sign.input.landmarks import LandmarkFrame, SignInputError
from appliance.sign.input.mediapipe_source import MediaPipeSource
from appliance.sign.input.speller import Speller, SpellerSettings
from hw.camera import SimCamera


def bgr(value: int = 0) -> np.ndarray:
    image = np.zeros((48, 64, 3), np.uint8)
    image[..., 0] = value  # blue
    return image


async def drain(tap: FrameTap) -> list[tuple[float, np.ndarray | None]]:
    await asyncio.sleep(0)  # the call_soon_threadsafe hops
    tap.close()
    return [item async for item in tap.frames()]


async def test_the_tap_keeps_fps_frames_a_second_as_rgb_copies() -> None:
    got: list[tuple[float, np.ndarray | None]] = []
    tap = FrameTap(asyncio.get_running_loop(), fps=10.0)

    async def consume() -> None:
        async for item in tap.frames():
            got.append(item)

    task = asyncio.create_task(consume())
    image = bgr(200)
    for i in range(30):  # one second of a 30 fps camera, with a little capture jitter
        tap.offer(image, i / 30 + (0.002 if i % 2 else -0.002))
        await asyncio.sleep(0)
    tap.close()
    await asyncio.wait_for(task, 5)
    assert len(got) == 10 and tap.passed == 10
    assert [round(t * 30) for t, _ in got] == list(range(0, 30, 3))
    rgb = got[0][1]
    assert rgb is not None and rgb[0, 0, 2] == 200 and rgb[0, 0, 0] == 0  # blue is last
    assert rgb.flags.c_contiguous and not np.shares_memory(rgb, image)


async def test_a_slow_reader_gets_the_newest_frame_not_a_backlog() -> None:
    tap = FrameTap(asyncio.get_running_loop(), fps=30.0)
    for i in range(5):
        tap.offer(bgr(i), i / 30)
    await asyncio.sleep(0)
    tap.offer(bgr(9), 5 / 30)
    seen = await drain(tap)
    assert [(round(t * 30), int(img[0, 0, 2])) for t, img in seen if img is not None] == \
        [(5, 9)]


async def test_only_while_a_visitor_is_there_then_empty_frames_to_end_the_word() -> None:
    here = [False]
    tap = FrameTap(asyncio.get_running_loop(), fps=30.0, present=lambda: here[0],
                   idle_frames=3)
    items: list[tuple[float, np.ndarray | None]] = []

    async def consume() -> None:
        async for item in tap.frames():
            items.append(item)

    task = asyncio.create_task(consume())
    t = 0.0
    for presence in [False] * 5 + [True] * 4 + [False] * 6:
        here[0] = presence
        tap.offer(bgr(1), t)
        t += 1 / 30
        await asyncio.sleep(0)
    tap.close()
    await asyncio.wait_for(task, 5)
    # nobody at first: nothing; a visitor: 4 images; gone: 3 empty frames, then nothing
    assert [img is not None for _, img in items] == [True] * 4 + [False] * 3
    assert tap.passed == 4 and tap.skipped_absent == 11


async def test_the_presence_watcher_feeds_its_taps_every_frame_and_survives_a_bad_one(
        caplog: pytest.LogCaptureFixture) -> None:
    frames: list[float] = []
    threads: set[str] = set()

    def tap(image: np.ndarray, t: float) -> None:
        frames.append(t)
        threads.add(threading.current_thread().name)

    def broken(image: np.ndarray, t: float) -> None:
        raise RuntimeError("a tap bug")

    camera = SimCamera([bgr()] * 12, fps=60, loop=False)
    watcher = PresenceWatcher(camera, VisionEngine(FakeFaceDetector()),
                              asyncio.get_running_loop(), lambda p: None, fps=5.0,
                              retry_s=60)
    watcher.taps += [broken, tap]
    watcher.start()
    try:
        async def all_seen() -> None:
            while len(frames) < 12:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(all_seen(), 5)
    finally:
        await watcher.stop()
    assert len(frames) == 12 and watcher.analysed < 12  # vision at 5 fps, the tap all 12
    assert threads == {"presence"}
    assert caplog.text.count("a camera frame tap failed") == 1


class Landmarker:
    """Stands in for :class:`MediaPipeLandmarker`: a hand on bright frames, an error on
    frames of value 13, and a record of the threads it ran on."""

    def __init__(self, hand: Any) -> None:
        self.hand = hand
        self.threads: set[str] = set()
        self.calls = 0
        self.closed = False

    def detect(self, rgb: np.ndarray) -> Any:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if rgb[0, 0, 2] == 13:
            raise SignInputError("bad frame", code="sign-bad-frame")
        return self.hand if rgb[0, 0, 2] else None

    def close(self) -> None:
        self.closed = True


async def test_the_source_runs_the_model_on_its_own_thread_and_skips_empty_frames(
        caplog: pytest.LogCaptureFixture) -> None:
    from appliance.sign.input.synth import sample

    hand = sample("b", np.random.default_rng(1))
    marker = Landmarker(hand)

    async def camera() -> Any:
        yield 0.0, bgr(5)[..., ::-1]
        yield 0.1, None  # nobody there: no model run
        yield 0.2, bgr(13)[..., ::-1]  # the model fails: no hand, go on
        yield 0.3, bgr(13)[..., ::-1]
        yield 0.4, bgr(0)[..., ::-1]

    source = MediaPipeSource(camera(), marker)  # type: ignore[arg-type]
    seen: list[LandmarkFrame] = [f async for f in source.frames()]
    await source.close()
    assert [f.t for f in seen] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert [f.hand is hand for f in seen] == [True, False, False, False, False]
    assert marker.calls == 4 and source.errors == 2 and marker.closed
    assert {name.split("_")[0] for name in marker.threads} == {"sign-landmarks"}
    assert caplog.text.count("[sign-bad-frame]") == 1


def test_the_speller_keeps_its_timing_in_seconds_at_a_lower_frame_rate() -> None:
    at10 = SpellerSettings.at_fps(10)
    assert (at10.hold_frames, at10.release_frames, at10.pause_frames) == (2, 1, 8)
    at30 = SpellerSettings.at_fps(30)
    assert (at30.hold_frames, at30.release_frames, at30.pause_frames) == (6, 2, 24)
    speller = Speller(at10)
    readings = ["h", "h", "i", "i", None, "i", "i"] + [None] * 8
    assert [w for r in readings if (w := speller.push(r))] == ["hii"]
    lone = Speller(at10)  # one stray letter is not a question
    assert [w for r in ["a", "a", "a"] + [None] * 8 if (w := lone.push(r))] == []

