"""The live avatar listens: a small nod at the visitor's pause, through the real pipeline.

An assembled kiosk (fake engines, simulated microphone and speaker in real time) hears
a question with a short pause in it. The VAD stage sends ``SpeechPaused`` down the
line; the live avatar must nod: the head pitch painted in the frames after the pause
rises, while it stays level as the visitor speaks before it.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from appliance.app import Kiosk
from appliance.avatar.live import LiveAvatar
from appliance.avatar.sinks.base import FrameSink
from appliance.avatar.timeline import AvatarPose
from appliance.engines.asr.fake import FakeAsr
from appliance.engines.factory import Engines
from appliance.engines.lipsync.phonemes import PhonemeLipSync
from appliance.engines.nlu.fake import FakeNlu
from appliance.engines.qa.fake import FakeQa
from appliance.engines.tts.fake import FakeTts
from appliance.engines.vad.fake import FakeVad
from appliance.frames import Frame, SpeechPaused, SpeechStarted
from appliance.settings import AvatarSettings, Settings
from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker

RATE = 16_000
AVATAR = AvatarSettings(width=540, height=960, fps=20, window=False, mjpeg_port=0)


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


class Frames(FrameSink):
    """Counts frames written (the poses are recorded where they are painted)."""

    name = "count"

    def __init__(self) -> None:
        self.count = 0

    def write(self, frame: np.ndarray, t: float) -> None:
        self.count += 1


async def test_the_avatar_nods_at_the_visitors_pause() -> None:
    # "where is [pause 0.22 s] the toilet": past the ASR's speculation (0.12 s), short
    # of the end of the turn (0.3 s)
    audio = np.concatenate([silence(0.3), tone(0.9), silence(0.22), tone(0.7), silence(1.5)])
    engines = Engines(FakeVad(), FakeAsr(["where is the toilet"]), FakeNlu(),
                      FakeQa({"find_toilet": "Past exit B."}), FakeTts(RATE), PhonemeLipSync())
    kiosk = Kiosk(Settings(), engines, SimMicrophone(audio, realtime=True, tail_s=0.5),
                  SimSpeaker(RATE, realtime=True))
    sink = Frames()
    live = LiveAvatar(AVATAR, sinks=[sink])
    painted: list[tuple[float, float]] = []  # (monotonic time painted, head pitch drawn)
    lock = threading.Lock()
    paint = live.scene.painter.paint

    def recording_paint(img: np.ndarray, pose: AvatarPose, arms: bool = True) -> None:
        with lock:
            painted.append((time.monotonic(), pose.head_pitch))
        paint(img, pose, arms=arms)

    live.scene.painter.paint = recording_paint  # type: ignore[method-assign]
    seen: dict[str, list[float]] = {"started": [], "paused": []}

    def on_frame(frame: Frame) -> None:
        if isinstance(frame, SpeechStarted):
            seen["started"].append(time.monotonic())
        elif isinstance(frame, SpeechPaused):
            seen["paused"].append(time.monotonic())

    kiosk.pipeline.on_frame(on_frame)
    live.attach(kiosk)
    live.start()
    try:
        await kiosk.run(timeout=30)
        assert live.wait_idle()
    finally:
        live.stop()

    assert seen["started"] and seen["paused"], seen
    started, paused = seen["started"][0], seen["paused"][0]
    with lock:
        talking = [p for t, p in painted if started + 0.1 <= t <= paused - 0.05]
        after = [p for t, p in painted if paused <= t <= paused + 0.9]
    assert talking and after and sink.count
    assert max(talking) < 0.05, f"the head nodded while the visitor spoke: {max(talking):.2f}"
    assert max(after) > 0.25, f"no nod at the visitor's pause: head pitch {max(after):.2f}"
