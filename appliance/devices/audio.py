"""Open the microphone and speaker the settings ask for, falling back to the sim twins."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
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


@dataclass
class AudioChoice:
    """The devices opened, a note on which and why, and every fallback to a sim twin.

    ``degraded`` is empty when the settings got what they asked for. With
    ``audio.backend = "auto"`` a missing sound card or a device that would not open
    becomes its sim twin so the kiosk keeps running; each such fallback is one
    reason here, logged at WARNING and reported as ``degraded`` in health.
    """

    mic: AudioInput
    speaker: AudioOutput
    note: str
    degraded: list[str] = field(default_factory=list)


def _use_pyaudio(settings: AudioSettings) -> tuple[bool, str]:
    if settings.backend == "sim":
        return False, "sim devices (configured)"
    if settings.backend == "auto" and not has_sound_card():
        return False, "no sound card on this machine; using the sim devices"
    return True, ""


def open_audio(settings: AudioSettings, sample_rate: int,
               array: MicArraySettings | None = None) -> tuple[AudioInput, AudioOutput, str]:
    """Microphone, speaker and a note saying which were chosen and why."""
    choice = choose_audio(settings, sample_rate, array)
    return choice.mic, choice.speaker, choice.note


def choose_audio(settings: AudioSettings, sample_rate: int,
                 array: MicArraySettings | None = None) -> AudioChoice:
    """Open the microphone and speaker; say which fell back to a sim twin and why.

    With ``array.enabled`` the microphone is the array with echo cancellation,
    beamforming and noise suppression, referenced to the speaker's output so
    the avatar never hears (and interrupts) itself.
    """
    real, note = _use_pyaudio(settings)
    degraded: list[str] = []
    if not real and settings.backend == "auto":
        degraded.append("audio: no sound card; the microphone and speaker are simulated")
        logger.warning("degraded: %s", degraded[-1])
    speaker: AudioOutput | None = None
    if real:
        try:
            speaker = PyAudioSpeaker(settings.output_device, sample_rate=sample_rate)
            note = f"pyaudio speaker {speaker.name}"
        except (SpeakerError, MicrophoneError, OSError) as exc:
            if settings.backend == "pyaudio":
                raise
            note = f"no usable speaker ({exc}); using the sim speaker"
            degraded.append(f"audio: speaker failed ({exc}); it is simulated")
            logger.warning("degraded: %s", degraded[-1])
    if speaker is None:
        speaker = SimSpeaker(sample_rate, realtime=settings.realtime,
                             out_dir=sim_output_dir(settings))
    speaker.volume = settings.volume
    if array is not None and array.enabled:
        from appliance.devices.hardware import build_array_microphone

        mic = build_array_microphone(settings, array)
        mic.attach_speaker(speaker)
        return AudioChoice(mic, speaker, f"{note}; microphone array ({array.channels} mics, "
                           f"{array.layout})", degraded)
    return AudioChoice(_open_mic(settings, real, degraded), speaker, note, degraded)


def _open_mic(settings: AudioSettings, real: bool, degraded: list[str]) -> AudioInput:
    if real:
        try:
            return PyAudioMicrophone(settings.input_device)
        except (MicrophoneError, OSError) as exc:
            if settings.backend == "pyaudio":
                raise
            degraded.append(f"audio: microphone failed ({exc}); it is simulated")
            logger.warning("degraded: %s", degraded[-1])
    return SimMicrophone(settings.sim_input_wav or None, realtime=settings.realtime,
                         endless=True)
