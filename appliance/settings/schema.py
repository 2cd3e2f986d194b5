"""The whole of kiosk.toml: :class:`Settings`, the top-level keys plus one section per subsystem.

Each section is a frozen dataclass declared in its subsystem's module (``audio``,
``speech``, ``nlu``, ``pipeline``, ``telemetry``, ``avatar``, ``vision``,
``display``, ``platform``, ``behavior``, ``sign``) with the field vocabulary of
:mod:`appliance.settings.fields`; this module only assembles them.
:mod:`appliance.settings.validate` checks any layer of kiosk.toml tables against
:class:`Settings` with pydantic, so the file loader, ``kiosk-provision config set``,
site overrides and the fleet's pushed config all obey one declaration.
Constructing a dataclass in code does not validate (tests build odd ones on
purpose); only data from outside goes through the checker.

A subsystem adds its section by defining a frozen dataclass in its module (with
``__pydantic_config__ = TABLE``) and a field here; every field has a default and a
docstring-style comment. The order of the fields here is the order of
``kiosk-provision config get``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appliance.settings.audio import AudioSettings, MicArraySettings
from appliance.settings.avatar import AvatarSettings
from appliance.settings.behavior import BehaviorSettings
from appliance.settings.display import DisplaySettings
from appliance.settings.fields import TABLE, Name, OptionalName
from appliance.settings.nlu import NluSettings
from appliance.settings.pipeline import PipelineSettings
from appliance.settings.platform import PlatformSettings
from appliance.settings.sign import SignSettings
from appliance.settings.speech import AsrSettings, LipsyncSettings, TtsSettings, VadSettings
from appliance.settings.telemetry import TelemetrySettings
from appliance.settings.vision import CameraSettings, VisionSettings


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
    sign: SignSettings = field(default_factory=SignSettings)
