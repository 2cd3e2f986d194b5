"""Real audio through PortAudio on a virtual ALSA device set up by the test.

No sound card is needed: an ALSA ``file`` PCM (in a private ``~/.asoundrc``)
captures from a raw file and writes playback to another, so PyAudio, PortAudio
and ALSA run for real. Runs in a subprocess because ALSA reads its
configuration once per process. Skipped where PyAudio or ALSA is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hw.array_sim import VISITOR_LINE, spoken

pytest.importorskip("pyaudio")

RATE = 16_000

ASOUNDRC = """
pcm.kiosk_virtual {{
    type file
    slave.pcm "null"
    file "{played}"
    infile "{capture}"
    format "raw"
    hint {{ show on description "Kiosk virtual sound device" }}
}}
"""

SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    import numpy as np
    from hw.audio_in import PyAudioMicrophone
    from hw.audio_out import PyAudioSpeaker

    async def main():
        mic = PyAudioMicrophone("kiosk_virtual", channels=1, device_rate=16000,
                                queue_size=10000)
        got = []
        async for frame in mic.frames():
            got.append(frame.pcm)
            if len(got) >= int(sys.argv[1]):
                break
        await mic.close()
        speaker = PyAudioSpeaker("kiosk_virtual", sample_rate=16000)
        played = []
        speaker.listeners.append(lambda block, rate, ts: played.append(len(block)))
        speaker.begin_stream()
        await speaker.play(np.concatenate(got), 16000)
        await asyncio.wait_for(speaker.drain(), 10)
        await speaker.close()
        np.save(sys.argv[2], np.concatenate(got))
        print(json.dumps({"mic": mic.name, "speaker": speaker.name, "frames": len(got),
                          "played": sum(played), "position": speaker.position}))

    asyncio.run(main())
""")


def test_pyaudio_captures_and_plays_through_a_virtual_alsa_device(tmp_path: Path) -> None:
    voice = np.round(spoken(VISITOR_LINE)).astype("<i2")
    capture = tmp_path / "capture.raw"
    voice.tofile(capture)
    played = tmp_path / "played.raw"
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(played=played, capture=capture))
    frames = len(voice) // 320
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(frames), str(tmp_path / "got.npy")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=Path.cwd())
    if proc.returncode != 0 and ("no audio device named like" in proc.stderr
                                 or ("PortAudio" in proc.stderr and "Error" in proc.stderr)):
        pytest.skip(f"no ALSA virtual device on this machine: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["mic"] == "kiosk_virtual" and result["frames"] == frames
    got = np.load(tmp_path / "got.npy")
    # PortAudio delivered the file's audio sample for sample, in order
    assert np.array_equal(got, voice[: len(got)])
    # and what the speaker played reached the device (written by ALSA's file PCM)
    written = np.fromfile(played, dtype="<i2")
    start = int(np.flatnonzero(written)[0])  # the stream ran silent until play()
    lead = int(np.flatnonzero(got)[0])
    assert np.array_equal(written[start: start + len(got) - lead], got[lead:])
    assert result["played"] >= len(got)


ARRAY_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    from hw.array_geometry import ArrayGeometry
    from hw.array_input import ArrayMicrophone
    from hw.mic_array import PyAudioMicArray

    async def main():
        geometry = ArrayGeometry.circular(4, 0.032)
        array = PyAudioMicArray(geometry, "kiosk_virtual", device_rate=48000,
                                device_channels=4, queue_size=10000)
        mic = ArrayMicrophone(array)
        count = 0
        async for frame in mic.frames():
            assert len(frame.pcm) == 320 and frame.sample_rate == 16000
            count += 1
            if count >= int(sys.argv[1]):
                break
        await mic.close()
        print(json.dumps({"frames": count, "bearing": mic.bearing_deg,
                          "health": mic.health.state.value}))

    asyncio.run(main())
""")


def test_pyaudio_mic_array_at_48khz_through_the_front_end(tmp_path: Path) -> None:
    import soxr

    from hw.array_geometry import ArrayGeometry
    from hw.array_sim import mix_scene

    geometry = ArrayGeometry.circular(4, 0.032)
    scene = mix_scene(geometry, RATE, visitor=spoken(VISITOR_LINE), visitor_bearing_deg=-40,
                      snr_db=20)
    at48k = soxr.resample(scene.mics.astype(np.float32), RATE, 48_000)
    capture = tmp_path / "capture.raw"
    np.clip(np.round(at48k), -32768, 32767).astype("<i2").tofile(capture)
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(played=tmp_path / "played.raw",
                                                        capture=capture))
    frames = len(scene.mics) // 320 - 5
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.run([sys.executable, "-c", ARRAY_SCRIPT, str(frames)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=Path.cwd())
    if proc.returncode != 0 and "no audio device named like" in proc.stderr:
        pytest.skip(f"no ALSA virtual device on this machine: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["frames"] == frames and result["health"] == "ok"
    assert result["bearing"] is not None and abs(result["bearing"] + 40) <= 8
