"""Typed settings, one frozen dataclass per subsystem, one schema, one loader.

- :mod:`~appliance.settings.schema`: the dataclasses; each field's annotation
  carries its type, range, allowed words or format.
- :mod:`~appliance.settings.validate`: the one checker (pydantic), used by the
  file loader, ``kiosk-provision config set``, site overrides and the fleet's
  pushed config. :func:`validate_overrides` is its public entry point.
- :mod:`~appliance.settings.layers`: effective settings from the layers
  default < site < file < fleet, with each value's origin; never fails.
- :mod:`~appliance.settings.paths`: where every file lives (``KIOSK_ROOT``).

A bad value never bricks the device: it is reported by key (with the value and
what is allowed) and that key falls back to the layer below, the last good
kiosk.toml, or the default.
"""

from __future__ import annotations

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
from appliance.settings.schema import (
    AsrSettings,
    AudioSettings,
    AvatarSettings,
    BehaviorSettings,
    CameraSettings,
    DisplaySettings,
    LipsyncSettings,
    MicArraySettings,
    NluSettings,
    PipelineSettings,
    PlatformSettings,
    Settings,
    TelemetrySettings,
    TtsSettings,
    VadSettings,
    VisionSettings,
)
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
