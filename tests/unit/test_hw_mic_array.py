"""The array as the pipeline's microphone: sim room, echo reference, lost devices."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from hw.array_geometry import ArrayGeometry, bearing_error
from hw.array_input import ArrayMicrophone
from hw.array_sim import KIOSK_LINE, VISITOR_LINE, power, spoken
from hw.audio_in import MicrophoneError
from hw.audio_out import SimSpeaker
from hw.echo import AcousticFrontEnd, webrtc_available
from hw.health import HealthState
from hw.mic_array import PyAudioMicArray, SimMicArray

RATE = 16_000
GEOMETRY = ArrayGeometry.circular(4, 0.032)


async def collect(mic: ArrayMicrophone, seconds: float) -> np.ndarray:
    out = []
    async for frame in mic.frames():
        out.append(frame.pcm)
        if len(out) * mic.frame_samples >= seconds * RATE:
            break
    return np.concatenate(out).astype(np.float64)


async def test_sim_array_yields_20ms_frames_with_the_visitor_bearing() -> None:
    array = SimMicArray(GEOMETRY, spoken(VISITOR_LINE).astype(np.int16),
                        visitor_bearing_deg=-60, snr_db=15, realtime=False)
    mic = ArrayMicrophone(array)
    frames = [f async for f in mic.frames()]
    assert all(len(f.pcm) == 320 and f.pcm.dtype == np.int16 for f in frames)
    assert frames[1].stream_time == pytest.approx(0.02)
    if webrtc_available():
        assert mic.bearing_deg is not None and bearing_error(mic.bearing_deg, -60) <= 8
    await mic.close()


@pytest.mark.skipif(not webrtc_available(), reason="pywebrtc-audio not installed")
async def test_kiosk_does_not_hear_itself_through_the_sim_room() -> None:
    array = SimMicArray(GEOMETRY, None, realtime=False, endless=True, echo_gain_db=-3,
                        noise_level_dbfs=-100)
    frontend = AcousticFrontEnd(GEOMETRY, RATE, noise_suppression=False, agc=False)
    mic = ArrayMicrophone(array, frontend)
    speaker = SimSpeaker(RATE, realtime=False)
    mic.attach_speaker(speaker)
    array_raw: list[np.ndarray] = []
    original = array._block

    def spy(index: int, n: int) -> np.ndarray:
        block = original(index, n)
        array_raw.append(block[:, 0].astype(np.float64))
        return block

    array._block = spy  # type: ignore[method-assign]
    reply = spoken(KIOSK_LINE).astype(np.int16)
    out = []
    it = mic.frames()
    for i in range(0, len(reply) - 319, 320):
        await speaker.play(reply[i:i + 320], RATE)
        await asyncio.sleep(0)
        out.append((await it.__anext__()).pcm.astype(np.float64))
    await speaker.drain()
    half = len(out) // 2
    heard = power(np.concatenate(array_raw[half:]))
    left = power(np.concatenate(out[half:]))
    assert heard > 1e4  # the echo really reached the mics
    assert 10 * np.log10(heard / left) > 15
    await it.aclose()
    await speaker.close()
    await mic.close()


async def test_unplugged_microphone_becomes_a_health_state_and_comes_back() -> None:
    array = SimMicArray(GEOMETRY, None, realtime=False, endless=True, fail_after_s=0.1)
    reopened: list[SimMicArray] = []

    def reopen() -> SimMicArray:
        new = SimMicArray(GEOMETRY, None, realtime=False, endless=True)
        reopened.append(new)
        return new

    mic = ArrayMicrophone(array, reopen=reopen, retry_s=0.1)
    states = []
    count = 0
    async for frame in mic.frames():
        count += 1
        states.append((mic.health.state, mic.health.code))
        assert len(frame.pcm) == 320
        if reopened and count > 30 and mic.health.state == HealthState.OK:
            break
        assert count < 200
    assert (HealthState.FAILED, "mic-lost") in states
    assert mic.health.healthy
    await mic.close()


def test_missing_capture_device_raises_a_coded_error() -> None:
    pytest.importorskip("pyaudio")
    with pytest.raises(MicrophoneError) as err:
        PyAudioMicArray(GEOMETRY, "no-such-array-xyz")
    assert err.value.code == "mic-lost"


def test_an_unpaced_sim_array_is_not_live_through_the_array_microphone() -> None:
    """The kiosk's VAD drops stale audio only from live microphones."""
    assert ArrayMicrophone(SimMicArray(GEOMETRY, None, realtime=True)).live
    assert not ArrayMicrophone(SimMicArray(GEOMETRY, None, realtime=False)).live
