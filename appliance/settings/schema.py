"""The settings schema: one frozen dataclass per subsystem, every field typed and bounded.

Each field's annotation is the whole rule for its value: the type (strict, so
``"5"`` is not a number and ``true`` is not 1), the range (``rng``/``above``),
the allowed words (``Literal``) or the format (``ClockTime``, ``Port``,
``PathText``). :mod:`appliance.settings.validate` checks any layer of
kiosk.toml tables against these classes with pydantic, so the file loader,
``kiosk-provision config set``, site overrides and the fleet's pushed config
all obey one declaration. Constructing a dataclass in code does not validate
(tests build odd ones on purpose); only data from outside goes through the
checker.

A subsystem adds its section by defining a frozen dataclass here (with
``__pydantic_config__ = TABLE``) and a field on :class:`Settings`; every field
has a default and a docstring-style comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from pydantic.fields import FieldInfo

TABLE = ConfigDict(extra="forbid")
"""Every section refuses keys it does not know (a typo is reported, not ignored)."""


def rng(lo: float, hi: float) -> FieldInfo:
    """A number from ``lo`` to ``hi`` inclusive (strict type: no text, no booleans)."""
    info: FieldInfo = Field(strict=True, ge=lo, le=hi)
    return info


def above(lo: float, hi: float) -> FieldInfo:
    """A number greater than ``lo`` and at most ``hi``."""
    info: FieldInfo = Field(strict=True, gt=lo, le=hi)
    return info


def text(pattern: str = "", description: str = "", max_length: int = 4096) -> FieldInfo:
    """Text, optionally of one format (``description`` says which, for error messages)."""
    info: FieldInfo = Field(strict=True, max_length=max_length, pattern=pattern or None,
                            description=description or None)
    return info


Flag = Annotated[bool, Field(strict=True)]
Text = Annotated[str, text()]
PathText = Annotated[str, text(r"^[^\x00\n]*$", "a file path (empty = the default)")]
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]
PortOrOff = Annotated[int, Field(strict=True, ge=0, le=65535)]
ClockTime = Annotated[str, text(r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                "a time of day HH:MM, 00:00..23:59")]
Name = Annotated[str, text(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                           "a name of 1-64 letters, digits, '.', '_' or '-' (no '/')")]
OptionalName = Annotated[str, text(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$",
                                   "empty, or 1-64 letters, digits, '.', '_' or '-' (no '/')")]
HostName = Annotated[str, text(r"^[A-Za-z0-9_.:\[\]-]+$",
                               "a host name or IP address", max_length=253)]
Language = Annotated[str, text(r"^([a-z]{2,3}(-[A-Za-z]{2,4})?|auto)$",
                               "a language code like en, ko, zh-tw (or auto)", max_length=16)]
CameraSource = Annotated[str, text(r"^[^\x00]+$",
                                  "a camera index, device, csi://N, pipeline, file or sim")]
Pixels = Annotated[int, rng(16, 8192)]
Millis = Annotated[int, rng(0, 60_000)]
Seconds = Annotated[float, rng(0, 86_400)]
PositiveSeconds = Annotated[float, above(0, 86_400)]


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
class VadSettings:
    __pydantic_config__ = TABLE

    engine: Literal["silero", "energy"] = "silero"
    """``silero`` (ONNX) or ``energy`` (no model; a fallback)."""
    threshold: Annotated[float, rng(0, 1)] = 0.5
    """Speech probability above which a window counts as voiced."""
    min_speech_ms: Annotated[int, rng(0, 10_000)] = 150
    """Voiced time needed before speech is declared started."""
    min_silence_ms: Annotated[int, rng(1, 10_000)] = 300
    """Unvoiced time after speech before the turn is declared ended."""
    speculate_ms: Annotated[int, rng(0, 10_000)] = 120
    """After this much silence the ASR starts decoding, before the turn is
    declared over; kept if the visitor does not go on (0 = off)."""
    pad_ms: Annotated[int, rng(0, 5_000)] = 200
    """Audio kept before onset and after the end for the ASR."""
    max_utterance_s: Annotated[float, above(0, 300)] = 15.0
    """A turn is cut after this long even if the visitor keeps talking."""
    join_ms: Annotated[int, rng(0, 10_000)] = 1200
    """Speech that resumes within this long after a turn ended, before its reply is
    heard, continues that turn ("Excuse me, [pause] where is..."): the ASR hears both
    parts as one question (0 = off)."""


@dataclass(frozen=True)
class AsrSettings:
    __pydantic_config__ = TABLE

    engine: Literal["whisper", "vosk"] = "whisper"
    """``whisper`` (faster-whisper) or ``vosk`` (Kaldi, streaming)."""
    model: PathText = ""
    """Model directory; empty = the packaged default for the engine."""
    language: Language = "en"
    compute_type: Literal["default", "auto", "int8", "int8_float16", "int8_float32",
                          "int8_bfloat16", "int16", "float16", "bfloat16", "float32"] = "int8"
    """CTranslate2 compute type (``int8``, ``int8_float16``, ``float16``, ``float32``)."""
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    """``cpu``, ``cuda`` or ``auto``."""
    beam_size: Annotated[int, rng(1, 20)] = 1
    threads: Annotated[int, rng(0, 64)] = 2
    grammar: list[Annotated[str, text(max_length=200)]] = field(default_factory=list)
    """Vosk only: restrict recognition to these phrases (plus ``[unk]``)."""
    window_s: Annotated[float, rng(10, 30)] = 30.0
    """Whisper only: seconds of audio its encoder sees. 30 = Whisper's own window; 15
    decodes ~2x faster here but cost 1-2 WER points on the bench (README)."""
    bias: Flag = True
    """Bias recognition to the site pack's station, line, exit and place names:
    Whisper gets them as its prompt, Vosk (without ``grammar``) a grammar of the
    site's names and question words plus ``[unk]``. ``false`` = the plain model."""


@dataclass(frozen=True)
class NluSettings:
    __pydantic_config__ = TABLE

    engine: Literal["auto", "encoder", "keyword"] = "auto"
    """``encoder`` (sentence encoder + heads), ``keyword`` (no model) or ``auto``
    (the encoder when its model is available, else keywords)."""
    sitepack: PathText = ""
    """Site pack directory; empty = ``<state>/site`` or the bundled metro demo."""


@dataclass(frozen=True)
class TtsSettings:
    __pydantic_config__ = TABLE

    engine: Literal["piper"] = "piper"
    voice: PathText = ""
    """Piper ``.onnx`` voice; empty = the packaged ``en_US-joe-medium``."""
    length_scale: Annotated[float, rng(0.25, 4)] = 1.0
    """Speaking rate: >1 slower, <1 faster."""
    use_cuda: Flag = False


@dataclass(frozen=True)
class LipsyncSettings:
    __pydantic_config__ = TABLE

    viseme_set: Literal["oculus"] = "oculus"
    """Only ``oculus`` (the 15 Oculus/Meta visemes) for now."""
    min_cue_ms: Annotated[int, rng(0, 1_000)] = 40
    """Shorter mouth shapes are merged into their neighbour (unreadable)."""


@dataclass(frozen=True)
class PipelineSettings:
    __pydantic_config__ = TABLE

    queue_size: Annotated[int, rng(1, 10_000)] = 64
    """Capacity of each stage's data inbox (frames)."""
    interrupt_min_speech_ms: Millis = 200
    """Visitor speech needed while the avatar talks before it is interrupted."""


@dataclass(frozen=True)
class TelemetrySettings:
    __pydantic_config__ = TABLE

    enabled: Flag = False
    """Connect to the fleet broker. ``kiosk run`` also connects once the device is
    enrolled (``<state>/identity/broker.json``, written by ``kiosk-provision enroll``)."""
    host: HostName = "localhost"
    """Fleet MQTT broker host name (must match its certificate)."""
    port: Port = 8883
    """Broker TLS port."""
    ca_file: PathText = ""
    """CA bundle that signed the broker (empty = ``<state>/identity/ca.crt``)."""
    cert_file: PathText = ""
    """This device's certificate, CN = device id (empty = ``<state>/identity/device.crt``)."""
    key_file: PathText = ""
    """This device's private key (empty = ``<state>/identity/device.key``)."""
    keepalive_s: Annotated[int, rng(5, 65_535)] = 30
    """MQTT keepalive; a half-open link is detected within 1.5x this."""
    heartbeat_s: Annotated[float, rng(1, 86_400)] = 60.0
    """Health is sent on change and at least this often."""
    health_min_interval_s: Annotated[float, rng(0, 3_600)] = 5.0
    """Change-driven health messages are at least this far apart."""
    outbox_max_messages: Annotated[int, rng(1, 10_000_000)] = 50_000
    """Telemetry kept on disk while offline; the oldest is shed first (never replies/alarms)."""
    outbox_sync: Literal["normal", "full"] = "normal"
    """SQLite ``synchronous`` for the outbox: ``normal`` survives a kill, ``full`` a power cut."""
    backoff_initial_s: Annotated[float, above(0, 3_600)] = 1.0
    """First reconnect delay; doubles up to ``backoff_max_s`` (with jitter)."""
    backoff_max_s: Annotated[float, above(0, 86_400)] = 60.0
    wait_for_fleet_host: Flag = True
    """Hold telemetry while the broker says nobody takes it (PUBACK 0x10 to the birth
    probe) instead of counting "no subscriber" as delivered."""
    log_file: PathText = ""
    """File the ``logs`` command tails (empty = ``<state>/log/kiosk.log``)."""
    logs_max_bytes: Annotated[int, rng(1_024, 16 * 2**20)] = 65_536
    """Size cap of a ``logs`` reply."""
    update_key_file: PathText = ""
    """Ed25519 public key that must have signed an ``update`` bundle (empty =
    ``<state>/identity/update-signing.pub``, installed by ``kiosk-provision enroll``)."""
    update_max_mb: Annotated[int, rng(1, 65_536)] = 4096
    """Largest bundle the ``update`` command downloads (MiB)."""
    update_timeout_s: PositiveSeconds = 900.0
    """Whole-download time limit of the ``update`` command (a stalled read fails after 30 s)."""


@dataclass(frozen=True)
class AvatarSettings:
    __pydantic_config__ = TABLE

    width: Pixels = 1080
    """Screen width in pixels (native resolution; portrait 1080x1920 is the common kiosk)."""
    height: Pixels = 1920
    """Screen height in pixels."""
    fps: Annotated[int, rng(1, 120)] = 30
    """Frames per second the display loop paces to."""
    window: Flag = True
    """Show the fullscreen kiosk window (needs a display and a GUI build of OpenCV)."""
    mjpeg_port: PortOrOff = 8090
    """The avatar stream on 127.0.0.1:<port>, shown by `kiosk display` (and a technician's
    preview); 0 = off (then the kiosk screen stays on "Starting...")."""
    language: Literal["en", "zh", "ja", "ko", "zh-tw"] = "en"
    """Subtitle face of the Noto CJK fonts (``en``, ``zh``, ``ja``, ``ko``, ``zh-tw``)."""
    demo_width: Pixels = 1080
    """Width of the demo's recorded out/demo.mp4."""
    demo_height: Pixels = 1920
    """Height of the demo's recorded out/demo.mp4."""


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


@dataclass(frozen=True)
class CameraSettings:
    __pydantic_config__ = TABLE

    enabled: Flag = False
    source: CameraSource = "0"
    """``0``/``/dev/video0`` (V4L2), ``csi://0`` (Jetson CSI), a GStreamer pipeline with ``!``,
    or a video file; ``sim`` plays ``sim_source``."""
    width: Pixels = 1280
    height: Pixels = 720
    fps: Annotated[int, rng(1, 240)] = 30
    flip_method: Annotated[int, rng(0, 7)] = 0
    """nvvidconv flip-method for CSI cameras (0 none, 2 rotate 180...)."""
    hfov_deg: Annotated[float, above(0, 180)] = 70.0
    """Horizontal field of view, for face bearings."""
    mirrored: Flag = False
    """True if the image is mirrored (selfie view)."""
    sim_source: PathText = ""
    """Video file or image folder the sim camera plays."""


@dataclass(frozen=True)
class VisionSettings:
    __pydantic_config__ = TABLE

    engine: Literal["haar", "fake"] = "haar"
    """``haar`` (OpenCV cascades) or ``fake``."""
    detect_fps: Annotated[float, above(0, 120)] = 5.0
    """How often faces are looked for (frames in between are skipped)."""
    profiles: Flag = False
    """Also count faces seen from the side (slower)."""
    scale_factor: Annotated[float, rng(1.01, 2.0)] = 1.2
    """Step between the scales the face detector searches (1.01..2.0): 1.1 finds a few
    more faces at about twice the CPU."""
    min_face_frac: Annotated[float, above(0, 1)] = 0.08
    """Face width / image width from which a visitor counts as close."""
    engage_after_s: Annotated[float, rng(0, 600)] = 1.0
    """Seconds a close visitor must face the screen to be engaged."""
    leave_after_s: Annotated[float, rng(0, 3_600)] = 2.0
    """Seconds without any face before the visitor has left."""


@dataclass(frozen=True)
class DisplaySettings:
    __pydantic_config__ = TABLE

    backend: Literal["auto", "backlight", "dpms", "sim"] = "auto"
    """``auto`` (backlight if present, else sim), ``backlight``, ``dpms`` or ``sim``."""
    backlight_device: Text = ""
    """Name under /sys/class/backlight (empty = the first)."""
    xdisplay: Text = ":0"
    """X display for ``dpms``."""
    xrandr_output: Text = ""
    """Output for software brightness with ``dpms`` (empty = no brightness control)."""
    day_brightness_pct: Annotated[int, rng(0, 100)] = 100
    night_brightness_pct: Annotated[int, rng(0, 100)] = 30
    night_start: ClockTime = "22:00"
    night_end: ClockTime = "06:00"
    idle_dim_after_s: Seconds = 120.0
    """At night, dim after this long without a visitor."""
    off_after_s: Seconds = 0.0
    """At night, turn the screen off after this long idle (0 = never)."""


@dataclass(frozen=True)
class PlatformSettings:
    __pydantic_config__ = TABLE

    kind: Literal["auto", "jetson", "generic"] = "auto"
    """``auto`` (Jetson if detected), ``jetson`` or ``generic`` (psutil)."""
    sysfs_root: PathText = "/"
    """Where sysfs/procfs are read from (a recorded tree in tests)."""


@dataclass(frozen=True)
class BehaviorSettings:
    __pydantic_config__ = TABLE

    enabled: Flag = True
    """Run the behaviour tree in ``kiosk run``: greeting, farewell, gaze, staff calls."""
    tick_hz: Annotated[float, above(0, 100)] = 4.0
    """How often the behaviour tree decides."""
    vision_fps: Annotated[float, above(0, 120)] = 8.0
    """Camera frames analysed per second (the others are dropped unseen)."""
    greet: Flag = True
    """Say hello once to each visitor who approaches and faces the screen (needs the camera)."""
    attract_lines: Flag = False
    """Call out an inviting line every 45 s while nobody is there (needs the camera)."""
    camera_retry_s: Annotated[float, above(0, 3_600)] = 30.0
    """Seconds between attempts to reopen a camera that failed or was lost."""
    display_tick_s: Annotated[float, above(0, 3_600)] = 10.0
    """How often the night dimming schedule is applied to the screen."""


@dataclass(frozen=True)
class Settings:
    """Everything the kiosk reads from ``kiosk.toml``."""

    __pydantic_config__ = TABLE

    site: Name = "metro-demo"
    device_id: OptionalName = ""
    audio: AudioSettings = field(default_factory=AudioSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    nlu: NluSettings = field(default_factory=NluSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    lipsync: LipsyncSettings = field(default_factory=LipsyncSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    avatar: AvatarSettings = field(default_factory=AvatarSettings)
    mic_array: MicArraySettings = field(default_factory=MicArraySettings)
    camera: CameraSettings = field(default_factory=CameraSettings)
    vision: VisionSettings = field(default_factory=VisionSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    platform: PlatformSettings = field(default_factory=PlatformSettings)
    behavior: BehaviorSettings = field(default_factory=BehaviorSettings)
