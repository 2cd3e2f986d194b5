"""Typed settings, one frozen dataclass per subsystem, loaded from ``kiosk.toml``.

The file lives at ``/etc/kiosk/kiosk.toml``; ``KIOSK_ROOT`` re-roots every path
(config, state, runtime) for development and tests. A bad file never bricks the
device: :func:`load` reports every problem by key and falls back to the last
good copy (kept under the state directory), else to the embedded defaults.

Subsystems add their own section by defining a frozen dataclass here and a field
on :class:`Settings`; every field has a default and a docstring-style comment.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - JetPack 6 ships Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

logger = logging.getLogger(__name__)


def kiosk_root() -> Path:
    """The filesystem root all kiosk paths hang from (``KIOSK_ROOT`` or ``/``)."""
    return Path(os.environ.get("KIOSK_ROOT", "/"))


def config_path() -> Path:
    return kiosk_root() / "etc/kiosk/kiosk.toml"


def state_dir() -> Path:
    return kiosk_root() / "var/lib/kiosk"


def run_dir() -> Path:
    return kiosk_root() / "run/kiosk"


@dataclass(frozen=True)
class AudioSettings:
    backend: str = "auto"
    """``auto`` (PyAudio when a sound card exists, else sim), ``pyaudio`` or ``sim``."""
    input_device: str = ""
    """Substring of the capture device name; empty = the system default."""
    output_device: str = ""
    """Substring of the playback device name; empty = the system default."""
    sim_input_wav: str = ""
    """WAV the sim microphone plays (empty = silence)."""
    sim_output_dir: str = ""
    """Where the sim speaker writes WAVs (empty = ``<state>/sim``)."""
    realtime: bool = True
    """Pace the sim microphone at real time (needed for honest latency)."""
    volume: float = 1.0
    """Playback gain, 0..2."""


@dataclass(frozen=True)
class VadSettings:
    engine: str = "silero"
    """``silero`` (ONNX) or ``energy`` (no model; a fallback)."""
    threshold: float = 0.5
    """Speech probability above which a window counts as voiced."""
    min_speech_ms: int = 150
    """Voiced time needed before speech is declared started."""
    min_silence_ms: int = 300
    """Unvoiced time after speech before the turn is declared ended."""
    speculate_ms: int = 120
    """After this much silence the ASR starts decoding, before the turn is
    declared over; kept if the visitor does not go on (0 = off)."""
    pad_ms: int = 200
    """Audio kept before onset and after the end for the ASR."""
    max_utterance_s: float = 15.0
    """A turn is cut after this long even if the visitor keeps talking."""
    join_ms: int = 1200
    """Speech that resumes within this long after a turn ended, before its reply is
    heard, continues that turn ("Excuse me, [pause] where is..."): the ASR hears both
    parts as one question (0 = off)."""


@dataclass(frozen=True)
class AsrSettings:
    engine: str = "whisper"
    """``whisper`` (faster-whisper) or ``vosk`` (Kaldi, streaming)."""
    model: str = ""
    """Model directory; empty = the packaged default for the engine."""
    language: str = "en"
    compute_type: str = "int8"
    """CTranslate2 compute type (``int8``, ``int8_float16``, ``float16``, ``float32``)."""
    device: str = "cpu"
    """``cpu``, ``cuda`` or ``auto``."""
    beam_size: int = 1
    threads: int = 2
    grammar: list[str] = field(default_factory=list)
    """Vosk only: restrict recognition to these phrases (plus ``[unk]``)."""
    bias: bool = True
    """Bias recognition to the site pack's station, line, exit and place names:
    Whisper gets them as its prompt, Vosk (without ``grammar``) a grammar of the
    site's names and question words plus ``[unk]``. ``false`` = the plain model."""


@dataclass(frozen=True)
class NluSettings:
    engine: str = "auto"
    """``encoder`` (sentence encoder + heads), ``keyword`` (no model) or ``auto``
    (the encoder when its model is available, else keywords)."""
    sitepack: str = ""
    """Site pack directory; empty = ``<state>/site`` or the bundled metro demo."""


@dataclass(frozen=True)
class TtsSettings:
    engine: str = "piper"
    voice: str = ""
    """Piper ``.onnx`` voice; empty = the packaged ``en_US-joe-medium``."""
    length_scale: float = 1.0
    """Speaking rate: >1 slower, <1 faster."""
    use_cuda: bool = False


@dataclass(frozen=True)
class LipsyncSettings:
    viseme_set: str = "oculus"
    """Only ``oculus`` (the 15 Oculus/Meta visemes) for now."""
    min_cue_ms: int = 40
    """Shorter mouth shapes are merged into their neighbour (unreadable)."""


@dataclass(frozen=True)
class PipelineSettings:
    queue_size: int = 64
    """Capacity of each stage's data inbox (frames)."""
    interrupt_min_speech_ms: int = 200
    """Visitor speech needed while the avatar talks before it is interrupted."""


@dataclass(frozen=True)
class TelemetrySettings:
    enabled: bool = False
    """Connect to the fleet broker. ``kiosk run`` also connects once the device is
    enrolled (``<state>/identity/broker.json``, written by ``kiosk-provision enroll``)."""
    host: str = "localhost"
    """Fleet MQTT broker host name (must match its certificate)."""
    port: int = 8883
    """Broker TLS port."""
    ca_file: str = ""
    """CA bundle that signed the broker (empty = ``<state>/identity/ca.crt``)."""
    cert_file: str = ""
    """This device's certificate, CN = device id (empty = ``<state>/identity/device.crt``)."""
    key_file: str = ""
    """This device's private key (empty = ``<state>/identity/device.key``)."""
    keepalive_s: int = 30
    """MQTT keepalive; a half-open link is detected within 1.5x this."""
    heartbeat_s: float = 60.0
    """Health is sent on change and at least this often."""
    health_min_interval_s: float = 5.0
    """Change-driven health messages are at least this far apart."""
    outbox_max_messages: int = 50_000
    """Telemetry kept on disk while offline; the oldest is shed first (never replies/alarms)."""
    outbox_sync: str = "normal"
    """SQLite ``synchronous`` for the outbox: ``normal`` survives a kill, ``full`` a power cut."""
    backoff_initial_s: float = 1.0
    """First reconnect delay; doubles up to ``backoff_max_s`` (with jitter)."""
    backoff_max_s: float = 60.0
    wait_for_fleet_host: bool = True
    """Hold the outbox while ``fleet/v1/host/state`` says the fleet host is away."""
    log_file: str = ""
    """File the ``logs`` command tails (empty = ``<state>/log/kiosk.log``)."""
    logs_max_bytes: int = 65_536
    """Size cap of a ``logs`` reply."""
    update_key_file: str = ""
    """Ed25519 public key that must have signed an ``update`` bundle (empty =
    ``<state>/identity/update-signing.pub``, installed by ``kiosk-provision enroll``)."""
    update_max_mb: int = 4096
    """Largest bundle the ``update`` command downloads (MiB)."""
    update_timeout_s: float = 900.0
    """Whole-download time limit of the ``update`` command (a stalled read fails after 30 s)."""


@dataclass(frozen=True)
class AvatarSettings:
    width: int = 1080
    """Screen width in pixels (native resolution; portrait 1080x1920 is the common kiosk)."""
    height: int = 1920
    """Screen height in pixels."""
    fps: int = 30
    """Frames per second the display loop paces to."""
    window: bool = True
    """Show the fullscreen kiosk window (needs a display and a GUI build of OpenCV)."""
    mjpeg_port: int = 8090
    """The avatar stream on 127.0.0.1:<port>, shown by `kiosk display` (and a technician's
    preview); 0 = off (then the kiosk screen stays on "Starting...")."""
    language: str = "en"
    """Subtitle face of the Noto CJK fonts (``en``, ``zh``, ``ja``, ``ko``, ``zh-tw``)."""
    demo_width: int = 1080
    """Width of the demo's recorded out/demo.mp4."""
    demo_height: int = 1920
    """Height of the demo's recorded out/demo.mp4."""


@dataclass(frozen=True)
class MicArraySettings:
    enabled: bool = False
    """Capture from a multi-channel array (else the plain mono microphone)."""
    layout: str = "circular"
    """``circular`` (ReSpeaker-style ring) or ``linear`` (a row along the screen)."""
    channels: int = 4
    """Number of microphones in the array."""
    spacing_m: float = 0.032
    """Circle radius (circular) or mic pitch (linear), metres."""
    device_channels: int = 0
    """Channels the capture device opens with (0 = the mic count)."""
    channel_map: list[int] = field(default_factory=list)
    """Device channels that carry the mics, in geometry order (empty = 0..channels-1)."""
    echo_cancellation: bool = True
    """Cancel the kiosk's own voice using the speaker output (WebRTC AEC3)."""
    noise_suppression_level: int = 2
    """WebRTC noise suppression 0..3 (6, 12, 18, 21 dB); -1 turns it off."""
    auto_gain: bool = True
    """WebRTC AGC2 on the beam output."""
    beamforming: bool = True
    """Delay-and-sum toward the speaker's bearing."""
    stream_delay_ms: int = 0
    """Echo path delay hint for the AEC (0 = let it estimate)."""
    sim_visitor_bearing_deg: float = 20.0
    """Sim only: where the simulated visitor stands (0 ahead, + to their right)."""
    sim_snr_db: float = 20.0
    """Sim only: station noise relative to the visitor's speech."""
    sim_echo_gain_db: float = -6.0
    """Sim only: how loud the kiosk's own voice comes back to the mics."""


@dataclass(frozen=True)
class CameraSettings:
    enabled: bool = False
    source: str = "0"
    """``0``/``/dev/video0`` (V4L2), ``csi://0`` (Jetson CSI), a GStreamer pipeline with ``!``,
    or a video file; ``sim`` plays ``sim_source``."""
    width: int = 1280
    height: int = 720
    fps: int = 30
    flip_method: int = 0
    """nvvidconv flip-method for CSI cameras (0 none, 2 rotate 180...)."""
    hfov_deg: float = 70.0
    """Horizontal field of view, for face bearings."""
    mirrored: bool = False
    """True if the image is mirrored (selfie view)."""
    sim_source: str = ""
    """Video file or image folder the sim camera plays."""


@dataclass(frozen=True)
class VisionSettings:
    engine: str = "haar"
    """``haar`` (OpenCV cascades) or ``fake``."""
    detect_fps: float = 5.0
    """How often faces are looked for (frames in between are skipped)."""
    profiles: bool = False
    """Also count faces seen from the side (slower)."""
    scale_factor: float = 1.2
    """Step between the scales the face detector searches (1.01..2.0): 1.1 finds a few
    more faces at about twice the CPU."""
    min_face_frac: float = 0.08
    """Face width / image width from which a visitor counts as close."""
    engage_after_s: float = 1.0
    """Seconds a close visitor must face the screen to be engaged."""
    leave_after_s: float = 2.0
    """Seconds without any face before the visitor has left."""


@dataclass(frozen=True)
class DisplaySettings:
    backend: str = "auto"
    """``auto`` (backlight if present, else sim), ``backlight``, ``dpms`` or ``sim``."""
    backlight_device: str = ""
    """Name under /sys/class/backlight (empty = the first)."""
    xdisplay: str = ":0"
    """X display for ``dpms``."""
    xrandr_output: str = ""
    """Output for software brightness with ``dpms`` (empty = no brightness control)."""
    day_brightness_pct: int = 100
    night_brightness_pct: int = 30
    night_start: str = "22:00"
    night_end: str = "06:00"
    idle_dim_after_s: float = 120.0
    """At night, dim after this long without a visitor."""
    off_after_s: float = 0.0
    """At night, turn the screen off after this long idle (0 = never)."""


@dataclass(frozen=True)
class PlatformSettings:
    kind: str = "auto"
    """``auto`` (Jetson if detected), ``jetson`` or ``generic`` (psutil)."""
    sysfs_root: str = "/"
    """Where sysfs/procfs are read from (a recorded tree in tests)."""


@dataclass(frozen=True)
class BehaviorSettings:
    enabled: bool = True
    """Run the behaviour tree in ``kiosk run``: greeting, farewell, gaze, staff calls."""
    tick_hz: float = 4.0
    """How often the behaviour tree decides."""
    vision_fps: float = 8.0
    """Camera frames analysed per second (the others are dropped unseen)."""
    greet: bool = True
    """Say hello once to each visitor who approaches and faces the screen (needs the camera)."""
    attract_lines: bool = False
    """Call out an inviting line every 45 s while nobody is there (needs the camera)."""
    camera_retry_s: float = 30.0
    """Seconds between attempts to reopen a camera that failed or was lost."""
    display_tick_s: float = 10.0
    """How often the night dimming schedule is applied to the screen."""


@dataclass(frozen=True)
class Settings:
    """Everything the kiosk reads from ``kiosk.toml``."""

    site: str = "metro-demo"
    device_id: str = ""
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


class SettingsError(ValueError):
    """A settings file has problems; ``problems`` names each key."""

    code = "config-invalid"

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


def _check_value(key: str, value: Any, hint: Any, problems: list[str]) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            problems.append(f"[{key}] must be a table")
            return None
        return _build(hint, value, key, problems)  # type: ignore[arg-type]
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            problems.append(f"{key}: expected a list of {item.__name__}, got {value!r}")
            return None
        return list(value)
    if origin in (typing.Union, types.UnionType):
        allowed = tuple(a for a in typing.get_args(hint) if a is not type(None))
        if value is None or isinstance(value, allowed):
            return value
        problems.append(f"{key}: expected {hint}, got {value!r}")
        return None
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        problems.append(f"{key}: expected int, got {value!r}")
        return None
    if not isinstance(value, hint):
        problems.append(f"{key}: expected {hint.__name__}, got {value!r}")
        return None
    return value


def _build(cls: type, data: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}.{key}" if prefix else key
        if key not in known:
            problems.append(f"{full}: unknown key")
            continue
        checked = _check_value(full, value, hints[key], problems)
        if checked is not None:
            kwargs[key] = checked
    return cls(**kwargs)


def from_dict(data: dict[str, Any], source: str = "<dict>") -> Settings:
    """Validate a parsed TOML document into :class:`Settings` or raise."""
    problems: list[str] = []
    settings = _build(Settings, data, "", problems)
    if problems:
        raise SettingsError(source, problems)
    return settings  # type: ignore[no-any-return]


def parse_file(path: Path) -> Settings:
    """Read and validate one file; raises :class:`SettingsError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(str(path), [f"not valid TOML: {exc}"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(str(path), [f"cannot read: {exc}"]) from exc
    return from_dict(data, str(path))


def last_good_path() -> Path:
    return state_dir() / "config/kiosk.toml.last-good"


def load(path: Path | None = None) -> tuple[Settings, list[str]]:
    """Load settings, never failing.

    Returns the settings and a list of warnings (empty when the file was good).
    A good file is copied to the last-good slot; a bad one is reported and the
    last good copy (or the defaults) is used instead.
    """
    path = path or config_path()
    if not path.exists():
        return Settings(), []
    try:
        settings = parse_file(path)
    except SettingsError as err:
        warnings = [f"{p}" for p in err.problems]
        logger.error("config %s is invalid: %s", path, "; ".join(err.problems))
        backup = last_good_path()
        if backup.exists():
            try:
                settings = parse_file(backup)
                warnings.append(f"using last good config {backup}")
                return settings, warnings
            except SettingsError:
                logger.error("last good config %s is invalid too", backup)
        warnings.append("using built-in defaults")
        return Settings(), warnings
    _remember_good(path)
    return settings, []


def _remember_good(path: Path) -> None:
    backup = last_good_path()
    try:
        backup.parent.mkdir(parents=True, exist_ok=True)
        tmp = backup.with_suffix(".tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, backup)
    except OSError as exc:  # a read-only state dir must not stop the kiosk
        logger.debug("could not keep last good config: %s", exc)
