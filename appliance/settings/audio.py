"""Sound in and out: ``[audio]`` (the sound card or the sim) and ``[mic_array]``
(a multi-channel array with echo cancellation and beamforming).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from appliance.settings.fields import TABLE, Flag, PathText, Text, above, rng


@dataclass(frozen=True)
class AudioSettings:
    __pydantic_config__ = TABLE

    backend: Literal["auto", "pyaudio", "sim"] = "auto"
    """``auto`` (PyAudio when a sound card exists, else sim), ``pyaudio`` or ``sim``."""
    input_device: Text = ""
    """Substring of the capture device name; empty = the system default."""
    output_device: Text = ""
    """Substring of the playback device name; empty = the system default."""
    sim_input_wav: PathText = ""
    """WAV the sim microphone plays (empty = silence)."""
    sim_output_dir: PathText = ""
    """Where the sim speaker writes WAVs (empty = ``<state>/sim``)."""
    realtime: Flag = True
    """Pace the sim microphone at real time (needed for honest latency)."""
    volume: Annotated[float, rng(0, 2)] = 1.0
    """Playback gain, 0..2."""


@dataclass(frozen=True)
class MicArraySettings:
    __pydantic_config__ = TABLE

    enabled: Flag = False
    """Capture from a multi-channel array (else the plain mono microphone)."""
    layout: Literal["circular", "linear"] = "circular"
    """``circular`` (ReSpeaker-style ring) or ``linear`` (a row along the screen)."""
    channels: Annotated[int, rng(1, 32)] = 4
    """Number of microphones in the array."""
    spacing_m: Annotated[float, above(0, 1)] = 0.032
    """Circle radius (circular) or mic pitch (linear), metres."""
    device_channels: Annotated[int, rng(0, 64)] = 0
    """Channels the capture device opens with (0 = the mic count)."""
    channel_map: list[Annotated[int, rng(0, 63)]] = field(default_factory=list)
    """Device channels that carry the mics, in geometry order (empty = 0..channels-1)."""
    echo_cancellation: Flag = True
    """Cancel the kiosk's own voice using the speaker output (WebRTC AEC3)."""
    noise_suppression_level: Annotated[int, rng(-1, 3)] = 2
    """WebRTC noise suppression 0..3 (6, 12, 18, 21 dB); -1 turns it off."""
    auto_gain: Flag = True
    """WebRTC AGC2 on the beam output."""
    beamforming: Flag = True
    """Delay-and-sum toward the speaker's bearing."""
    stream_delay_ms: Annotated[int, rng(0, 1_000)] = 0
    """Echo path delay hint for the AEC (0 = let it estimate)."""
    sim_visitor_bearing_deg: Annotated[float, rng(-180, 180)] = 20.0
    """Sim only: where the simulated visitor stands (0 ahead, + to their right)."""
    sim_snr_db: Annotated[float, rng(-20, 80)] = 20.0
    """Sim only: station noise relative to the visitor's speech."""
    sim_echo_gain_db: Annotated[float, rng(-80, 20)] = -6.0
    """Sim only: how loud the kiosk's own voice comes back to the mics."""
