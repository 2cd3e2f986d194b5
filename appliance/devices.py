"""Open the microphone and speaker the settings ask for, falling back to the sim twins."""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.settings import AudioSettings, MicArraySettings, state_dir
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


def _use_pyaudio(settings: AudioSettings) -> tuple[bool, str]:
    if settings.backend == "sim":
        return False, "sim devices (configured)"
    if settings.backend == "auto" and not has_sound_card():
        return False, "no sound card on this machine; using the sim devices"
    return True, ""


def open_audio(settings: AudioSettings, sample_rate: int,
               array: MicArraySettings | None = None) -> tuple[AudioInput, AudioOutput, str]:
    """Microphone, speaker and a note saying which were chosen and why.

    With ``array.enabled`` the microphone is the array with echo cancellation,
    beamforming and noise suppression, referenced to the speaker's output so
    the avatar never hears (and interrupts) itself.
    """
    real, note = _use_pyaudio(settings)
    speaker: AudioOutput | None = None
    if real:
        try:
            speaker = PyAudioSpeaker(settings.output_device, sample_rate=sample_rate)
            note = f"pyaudio speaker {speaker.name}"
        except (SpeakerError, MicrophoneError, OSError) as exc:
            if settings.backend == "pyaudio":
                raise
            note = f"no usable speaker ({exc}); using the sim speaker"
            logger.warning(note)
    if speaker is None:
        speaker = SimSpeaker(sample_rate, realtime=settings.realtime,
                             out_dir=sim_output_dir(settings))
    speaker.volume = settings.volume
    if array is not None and array.enabled:
        from appliance.hardware import build_array_microphone

        mic = build_array_microphone(settings, array)
        mic.attach_speaker(speaker)
        return mic, speaker, f"{note}; microphone array ({array.channels} mics, {array.layout})"
    return _open_mic(settings, real), speaker, note


def _open_mic(settings: AudioSettings, real: bool) -> AudioInput:
    if real:
        try:
            return PyAudioMicrophone(settings.input_device)
        except (MicrophoneError, OSError) as exc:
            if settings.backend == "pyaudio":
                raise
            logger.warning("no usable microphone (%s); using the sim microphone", exc)
    return SimMicrophone(settings.sim_input_wav or None, realtime=settings.realtime,
                         endless=True)
