"""Open the microphone and speaker the settings ask for, falling back to the sim twins."""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.settings import AudioSettings, state_dir
from hw.audio_in import (
    AudioInput,
    MicrophoneError,
    PyAudioMicrophone,
    SimMicrophone,
    has_sound_card,
)
from hw.audio_out import AudioOutput, PyAudioSpeaker, SimSpeaker, SpeakerError

logger = logging.getLogger(__name__)


def sim_output_dir(settings: AudioSettings) -> Path:
    return Path(settings.sim_output_dir) if settings.sim_output_dir else state_dir() / "sim"


def open_audio(settings: AudioSettings, sample_rate: int) -> tuple[AudioInput, AudioOutput, str]:
    """Microphone, speaker and a note saying which were chosen and why."""
    if settings.backend == "auto" and not has_sound_card():
        reason = "no sound card on this machine; using the sim devices"
    elif settings.backend in ("auto", "pyaudio"):
        try:
            mic: AudioInput = PyAudioMicrophone(settings.input_device)
            speaker: AudioOutput = PyAudioSpeaker(settings.output_device, sample_rate=sample_rate)
            speaker.volume = settings.volume
            return mic, speaker, f"pyaudio ({mic.name} -> {speaker.name})"
        except (MicrophoneError, SpeakerError, OSError) as exc:
            if settings.backend == "pyaudio":
                raise
            reason = f"no sound card ({exc}); using the sim devices"
            logger.warning(reason)
    else:
        reason = "sim devices (configured)"
    mic = SimMicrophone(settings.sim_input_wav or None, realtime=settings.realtime, endless=True)
    speaker = SimSpeaker(sample_rate, realtime=settings.realtime,
                         out_dir=sim_output_dir(settings))
    speaker.volume = settings.volume
    return mic, speaker, reason
