"""``kiosk run`` on a machine with no sound card: sim devices, real models, real config."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hw.audio_util import read_wav, write_wav

pytestmark = pytest.mark.slow


def test_kiosk_run_answers_the_sim_microphone_and_stops_on_time(tmp_path: Path) -> None:
    from appliance.engines.tts.piper import PiperTts
    from hw.audio_util import resample

    tts = PiperTts()
    pcm = np.concatenate([c.pcm for c in tts.synthesize("Where is the nearest toilet?")])
    question = write_wav(tmp_path / "q.wav", resample(pcm, tts.sample_rate, 16000), 16000)
    config = tmp_path / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[audio]\nbackend = "sim"\nsim_input_wav = "{question}"\n')
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    env = {"KIOSK_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "NOTIFY_SOCKET": str(sock_path)}
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "run", "--duration", "12"],
                            capture_output=True, text=True, timeout=120, env=env, check=False)
    assert result.returncode == 0, result.stderr
    sock.setblocking(False)
    messages = []
    with contextlib.suppress(BlockingIOError):
        while True:
            messages.append(sock.recv(4096).decode())
    sock.close()
    ready = [m for m in messages if "READY=1" in m]
    assert ready and messages.index(ready[0]) > 0  # STATUS lines came first (loading models)
    assert any("STOPPING=1" in m for m in messages)
    log = result.stderr
    assert "kiosk ready" in log and "heard" in log.lower()
    played = sorted((tmp_path / "var/lib/kiosk/sim").glob("played-*.wav"))
    assert played, log
    audio, rate = read_wav(played[0])
    assert len(audio) / rate > 1.0  # the reply was spoken on the sim speaker
