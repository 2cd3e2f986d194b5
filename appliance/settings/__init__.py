"""Typed settings: one frozen dataclass per subsystem, declared in its own module; one loader.

- One module per subsystem declares its kiosk.toml sections: :mod:`.audio`
  (``[audio]``, ``[mic_array]``), :mod:`.speech` (``[vad]``, ``[asr]``, ``[tts]``,
  ``[lipsync]``), :mod:`.nlu`, :mod:`.pipeline`, :mod:`.telemetry`, :mod:`.avatar`,
  :mod:`.vision` (``[camera]``, ``[vision]``), :mod:`.display`, :mod:`.platform`,
  :mod:`.behavior`, :mod:`.sign`. Each field's annotation carries its type, range, allowed
  words or format, in the vocabulary of :mod:`~appliance.settings.fields`.
- :mod:`~appliance.settings.schema`: :class:`Settings`, the whole file, assembled
  from those sections (their order is the order ``config get`` prints).
- :mod:`~appliance.settings.validate`: the one checker (pydantic), used by the
  file loader, ``kiosk-provision config set``, site overrides and the fleet's
  pushed config. :func:`validate_overrides` is its public entry point.
- :mod:`~appliance.settings.layers`: the one loader: effective settings from the
  layers default < site < file < fleet, with each value's origin; never fails.
- :mod:`~appliance.settings.paths`: where every file lives (``KIOSK_ROOT``).

The package imports only the standard library, pydantic and TOML readers: it sits
one layer above ``hw``, beside ``errors``, ``frames`` and ``system``.

A bad value never bricks the device: it is reported by key (with the value and
what is allowed) and that key falls back to the layer below, the last good
kiosk.toml, or the default.
"""

from __future__ import annotations

from appliance.settings.audio import AudioSettings, MicArraySettings
from appliance.settings.avatar import AvatarSettings
from appliance.settings.behavior import BehaviorSettings
from appliance.settings.display import DisplaySettings
from appliance.settings.layers import (
    LAYERS,
    EffectiveConfig,
    load,
    load_config,
    parse_file,
    parse_toml,
    remember_good,
    tomllib,
)
from appliance.settings.nlu import NluSettings
from appliance.settings.paths import (
    config_path,
    default_log_path,
    fleet_config_path,
    health_snapshot_path,
    kiosk_root,
    last_good_path,
    outbox_path,
    run_dir,
    site_settings_path,
    state_dir,
)
from appliance.settings.pipeline import PipelineSettings
from appliance.settings.platform import PlatformSettings
from appliance.settings.schema import Settings
from appliance.settings.sign import SignSettings
from appliance.settings.speech import AsrSettings, LipsyncSettings, TtsSettings, VadSettings
from appliance.settings.telemetry import TelemetrySettings
from appliance.settings.validate import (
    ConfigProblem,
    SettingsError,
    describe,
    field_hint,
    from_dict,
    known_keys,
    leaf_keys,
    validate_overrides,
)
from appliance.settings.vision import CameraSettings, VisionSettings

__all__ = [
    "LAYERS",
    "AsrSettings",
    "AudioSettings",
    "AvatarSettings",
    "BehaviorSettings",
    "CameraSettings",
    "ConfigProblem",
    "DisplaySettings",
    "EffectiveConfig",
    "LipsyncSettings",
    "MicArraySettings",
    "NluSettings",
    "PipelineSettings",
    "PlatformSettings",
    "Settings",
    "SettingsError",
    "SignSettings",
    "TelemetrySettings",
    "TtsSettings",
    "VadSettings",
    "VisionSettings",
    "config_path",
    "default_log_path",
    "describe",
    "field_hint",
    "fleet_config_path",
    "from_dict",
    "health_snapshot_path",
    "kiosk_root",
    "known_keys",
    "last_good_path",
    "leaf_keys",
    "load",
    "load_config",
    "outbox_path",
    "parse_file",
    "parse_toml",
    "remember_good",
    "run_dir",
    "site_settings_path",
    "state_dir",
    "tomllib",
    "validate_overrides",
]
