"""Sim microphone and speaker, WAV handling."""

from pathlib import Path

import numpy as np
import pytest

from hw.audio_in import SimMicrophone
from hw.audio_out import SimSpeaker
from hw.audio_util import WavFormatError, read_wav, resample, to_mono, write_wav


def test_read_wav_rejects_bad_files_with_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(WavFormatError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(WavFormatError, match="empty"):
        read_wav(empty)
    text = tmp_path / "text.wav"
    text.write_text("hello, not audio")
    with pytest.raises(WavFormatError, match="not a PCM WAV"):
        read_wav(text)


def test_wav_round_trip_and_stereo_mixdown(tmp_path: Path) -> None:
    stereo = np.stack([np.full(100, 1000, np.int16), np.full(100, 3000, np.int16)], axis=1)
    path = write_wav(tmp_path / "s.wav", stereo, 44100)
    pcm, rate = read_wav(path)
    assert rate == 44100 and pcm.shape == (100, 2)
    assert np.all(to_mono(pcm) == 2000)


def test_resample_keeps_duration_and_pitch() -> None:
    t = np.arange(44100) / 44100
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    out = resample(tone, 44100, 16000)
    assert len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1


async def test_sim_microphone_yields_20ms_frames_with_lead_and_tail() -> None:
    mic = SimMicrophone(np.ones(1600, np.int16), realtime=False, lead_s=0.1, tail_s=0.1)
    frames = [f async for f in mic.frames()]
    assert all(len(f.pcm) == 320 for f in frames)
    assert len(frames) == 15  # 0.1 + 0.1 + 0.1 s
    assert frames[5].stream_time == pytest.approx(0.1)
    assert frames[5].pcm[0] == 1 and frames[0].pcm[0] == 0


async def test_sim_speaker_plays_and_clears_at_a_known_position() -> None:
    speaker = SimSpeaker(16000, realtime=True)
    heard: list[int] = []
    speaker.listeners.append(lambda block, rate, ts: heard.append(len(block)))
    speaker.begin_stream()
    await speaker.play(np.ones(16000, np.int16), 16000)
    import asyncio

    await asyncio.sleep(0.25)
    position = speaker.clear()
    assert 0.15 < position < 0.5
    await speaker.drain()
    assert sum(heard) / 16000 == pytest.approx(position)
    assert not speaker.playing
    await speaker.close()
