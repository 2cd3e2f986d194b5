"""Audio self-tests: microphone noise floor and a speaker-to-microphone loopback tone.

With a sound card the checks use PortAudio (``hw.audio_in``/``hw.audio_out``);
without one they run the same measurement through the sim twins: the sim
microphone hears synthetic room noise, and the loopback plays the tone into
the sim speaker, passes what it played through a simulated room (delay,
attenuation, noise) into the sim microphone, and detects it there.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging

import numpy as np

from hw.audio_in import AudioInput, MicrophoneError, SimMicrophone
from hw.audio_out import AudioOutput, SimSpeaker, SpeakerError
from hw.audio_util import resample, rms_dbfs
from provisioning.checks import CheckContext, CheckResult, host_path

logger = logging.getLogger(__name__)

TONE_HZ = 1000.0
RATE = 16_000
SIM_NOISE_DBFS = -62.0


def has_sound_card() -> bool:
    """True when ALSA lists a card (``/proc/asound/cards``)."""
    try:
        text = host_path("proc/asound/cards").read_text()
    except OSError:
        return False
    return bool(text.strip()) and "no soundcards" not in text


def use_real_audio(ctx: CheckContext) -> bool:
    if ctx.force_sim or ctx.settings.audio.backend == "sim":
        return False
    return has_sound_card() and importlib.util.find_spec("pyaudio") is not None


def room_noise(seconds: float, dbfs: float = SIM_NOISE_DBFS, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    amplitude = 32768.0 * 10 ** (dbfs / 20)
    return np.clip(rng.normal(0, amplitude, int(seconds * RATE)), -32768, 32767).astype(np.int16)


def tone(seconds: float, rate: int, hz: float = TONE_HZ, dbfs: float = -12.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)  # 20 ms ramps: no clicks
    wave = np.sin(2 * np.pi * hz * t) * fade * 32767 * 10 ** (dbfs / 20)
    return wave.astype(np.int16)


def tone_snr_db(pcm: np.ndarray, rate: int, hz: float = TONE_HZ) -> float:
    """How far the tone's spectral line stands above the median of the spectrum (dB)."""
    x = pcm.astype(np.float64)
    if len(x) < rate // 10:
        return 0.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    band = (freqs > hz - 20) & (freqs < hz + 20)
    floor = float(np.median(spectrum[(freqs > 100) & ~band])) + 1e-12
    return float(10 * np.log10(float(spectrum[band].max()) / floor + 1e-12))


async def capture(mic: AudioInput, seconds: float) -> np.ndarray:
    chunks: list[np.ndarray] = []
    need = int(seconds * mic.sample_rate)
    got = 0

    async def read() -> None:
        nonlocal got
        async for chunk in mic.frames():
            chunks.append(chunk.pcm)
            got += len(chunk.pcm)
            if got >= need:
                return

    try:
        await asyncio.wait_for(read(), timeout=seconds + 5)
    finally:
        await mic.close()
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def _open_real_mic(ctx: CheckContext) -> AudioInput:
    from hw.audio_in import PyAudioMicrophone

    return PyAudioMicrophone(ctx.settings.audio.input_device, sample_rate=RATE)


def _open_real_speaker(ctx: CheckContext) -> AudioOutput:
    from hw.audio_out import PyAudioSpeaker

    return PyAudioSpeaker(ctx.settings.audio.output_device)


def check_microphone(ctx: CheckContext) -> CheckResult:
    """Noise floor of the room as the microphone hears it (nobody should talk)."""
    seconds = 0.5 if ctx.quick else 1.5
    real = use_real_audio(ctx)
    try:
        mic = _open_real_mic(ctx) if real else SimMicrophone(
            room_noise(seconds + 0.2), realtime=False, lead_s=0, tail_s=0)
        pcm = asyncio.run(capture(mic, seconds))
    except (MicrophoneError, OSError) as exc:
        return CheckResult("microphone", "fail", f"cannot record: {exc}", sim=not real)
    floor = rms_dbfs(pcm)
    peak = float(np.abs(pcm.astype(np.int32)).max()) if pcm.size else 0.0
    data = {"noise_floor_dbfs": round(floor, 1), "peak": int(peak), "seconds": seconds,
            "device": mic.name}
    where = f"{mic.name}" + (" (sim twin: no sound card)" if not real else "")
    if pcm.size == 0:
        return CheckResult("microphone", "fail", f"{where}: no audio arrived", not real, data)
    if floor <= -100:
        return CheckResult("microphone", "warn",
                           f"{where}: digital silence - muted or unplugged?", not real, data)
    if floor > -35:
        text = f"{where}: noisy room or gain too high ({floor:.1f} dBFS)"
        return CheckResult("microphone", "warn", text, not real, data)
    text = f"{where}: noise floor {floor:.1f} dBFS"
    return CheckResult("microphone", "pass", text, not real, data)


async def _sim_loopback(seconds: float) -> tuple[np.ndarray, str]:
    speaker = SimSpeaker(realtime=False)
    await speaker.play(tone(seconds, speaker.sample_rate), speaker.sample_rate)
    await speaker.drain()
    played = np.concatenate(speaker.recording)
    await speaker.close()
    # the "room": 40 ms of travel, 20 dB quieter, plus room noise
    heard = resample(played, speaker.sample_rate, RATE).astype(np.float32) * 0.1
    heard = np.concatenate([np.zeros(int(0.04 * RATE), np.float32), heard])
    noise = room_noise(len(heard) / RATE)[: len(heard)].astype(np.float32)
    mixed = np.clip(heard + noise, -32768, 32767).astype(np.int16)
    mic = SimMicrophone(mixed, realtime=False, lead_s=0, tail_s=0)
    return await capture(mic, len(mixed) / RATE), f"{speaker.name} -> {mic.name}"


async def _real_loopback(ctx: CheckContext, seconds: float) -> tuple[np.ndarray, str]:
    mic = _open_real_mic(ctx)
    speaker = _open_real_speaker(ctx)
    try:
        recording = asyncio.ensure_future(capture(mic, seconds + 0.6))
        await asyncio.sleep(0.2)
        await speaker.play(tone(seconds, speaker.sample_rate), speaker.sample_rate)
        await speaker.drain()
        pcm = await recording
    finally:
        await speaker.close()
    return pcm, f"{speaker.name} -> {mic.name}"


def check_loopback(ctx: CheckContext) -> CheckResult:
    """Play a 1 kHz tone on the speaker and find it in the microphone's signal."""
    seconds = 0.5 if ctx.quick else 1.0
    real = use_real_audio(ctx)
    try:
        if real:
            pcm, path = asyncio.run(_real_loopback(ctx, seconds))
        else:
            pcm, path = asyncio.run(_sim_loopback(seconds))
    except (MicrophoneError, SpeakerError, OSError) as exc:
        return CheckResult("loopback", "fail", f"cannot play or record: {exc}", sim=not real)
    snr = tone_snr_db(pcm, RATE)
    data = {"tone_hz": TONE_HZ, "snr_db": round(snr, 1), "path": path}
    where = path + ("" if real else " (sim twin: no sound card)")
    if snr >= 15:
        return CheckResult("loopback", "pass", f"{where}: tone heard, {snr:.0f} dB above noise",
                           not real, data)
    if snr >= 6:
        return CheckResult("loopback", "warn", f"{where}: tone faint ({snr:.0f} dB); check volume",
                           not real, data)
    return CheckResult("loopback", "fail", f"{where}: tone not heard; speaker or mic dead?",
                       not real, data)
