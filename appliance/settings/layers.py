"""Effective settings from layers, each value with its origin; never failing.

Layers, lowest first: ``default`` (the schema), ``site`` (the installed site
pack's ``settings.toml``), ``file`` (the technician's ``kiosk.toml``) and
``fleet`` (the config the fleet pushed and the agent applied). A higher layer
wins key by key. Each layer is checked on its own; a refused value is
reported as a :class:`ConfigProblem` and that key falls back to the layer
below, so one typo never takes the kiosk down or its good neighbours with it.

kiosk.toml itself: a copy is kept as the last good one whenever it validates
cleanly. When the file is missing or is not TOML at all, the last good copy
stands in (with a WARNING); a refused key of a readable file takes the last
good copy's value for that key when it had one, else the default.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.settings.paths import (
    config_path,
    fleet_config_path,
    last_good_path,
    site_settings_path,
)
from appliance.settings.schema import Settings
from appliance.settings.validate import (
    ConfigProblem,
    SettingsError,
    build,
    check_layer,
    from_dict,
    leaf_keys,
)

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - JetPack 6 ships Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

logger = logging.getLogger(__name__)

LAYERS = ("default", "site", "file", "fleet")
"""Layer names, lowest precedence first; an origin is always one of these."""


@dataclass
class EffectiveConfig:
    """The settings the kiosk runs with, and how they came to be."""

    settings: Settings
    origins: dict[str, str]
    """Dotted key -> the layer its value came from (one of :data:`LAYERS`)."""
    problems: list[ConfigProblem] = field(default_factory=list)
    """Values refused in any layer; each of those keys runs on a lower layer's value."""
    notes: list[str] = field(default_factory=list)
    """What else a technician should know (file missing, last good copy used)."""
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The accepted tables of each layer that was present."""
    fleet_version: int | None = None
    file_path: Path | None = None

    @property
    def warnings(self) -> list[str]:
        """Problems and notes as text lines (the older ``load()`` interface)."""
        return [str(p) for p in self.problems] + self.notes

    def value(self, key: str) -> Any:
        """The effective value of a dotted key."""
        value: Any = self.settings
        for part in key.split("."):
            value = getattr(value, part)
        return value


def parse_toml(path: Path) -> dict[str, Any]:
    """The tables of a TOML file; SettingsError when unreadable or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(str(path), [f"not valid TOML: {exc}"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(str(path), [f"cannot read: {exc}"]) from exc


def parse_file(path: Path) -> Settings:
    """Read and validate one whole file; raises :class:`SettingsError` naming every key."""
    return from_dict(parse_toml(path), str(path))


def remember_good(path: Path) -> None:
    """Keep ``path`` as the last good kiosk.toml (call only after it validated cleanly)."""
    backup = last_good_path()
    try:
        backup.parent.mkdir(parents=True, exist_ok=True)
        tmp = backup.with_suffix(".tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, backup)
    except OSError as exc:  # a read-only state dir must not stop the kiosk
        logger.debug("could not keep last good config: %s", exc)


def _file_layer(path: Path, result: EffectiveConfig) -> dict[str, Any]:
    backup = last_good_path()
    backup_tables: dict[str, Any] | None = None
    if backup.exists():
        try:
            backup_tables, _ = check_layer(parse_toml(backup), str(backup))
        except SettingsError:
            logger.error("last good config %s is unreadable too", backup)
    if not path.exists():
        if backup_tables is not None:
            note = f"{path} is missing; using the last good copy {backup}"
            logger.warning("config: %s", note)
            result.notes.append(note)
            return backup_tables
        note = f"{path} is missing; using built-in defaults"
        logger.warning("config: %s", note)
        result.notes.append(note)
        return {}
    result.file_path = path
    try:
        raw = parse_toml(path)
    except SettingsError as err:
        result.problems.append(ConfigProblem("", None, "; ".join(err.problems),
                                             "config-unreadable", str(path)))
        note = (f"using the last good copy {backup}" if backup_tables is not None
                else "using built-in defaults")
        logger.error("config %s: %s; %s", path, "; ".join(err.problems), note)
        result.notes.append(note)
        return backup_tables or {}
    tables, problems = check_layer(raw, str(path))
    if not problems:
        remember_good(path)
        return tables
    result.problems += problems
    for problem in problems:  # each refused key: the last good copy's value, else default
        kept = _get(backup_tables or {}, problem.key)
        if kept is not _MISSING:
            _set(tables, problem.key, kept)
    note = ("refused keys use the last good copy's value or the default" if backup_tables
            else "refused keys use the built-in defaults")
    result.notes.append(note)
    return tables


def _fleet_layer(result: EffectiveConfig) -> dict[str, Any]:
    path = fleet_config_path()
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        config, version = doc["config"], doc.get("version")
        if not isinstance(config, Mapping):
            raise ValueError("'config' is not a table")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.error("fleet config %s unreadable (%s); ignoring it", path, exc)
        result.notes.append(f"fleet config {path} unreadable: {exc}")
        return {}
    result.fleet_version = version if isinstance(version, int) else None
    tables, problems = check_layer(config, "fleet")
    result.problems += problems
    return tables


def _site_layer(result: EffectiveConfig) -> dict[str, Any]:
    path = site_settings_path()
    if not path.exists():
        return {}
    try:
        raw = parse_toml(path)
    except SettingsError as err:
        result.problems.append(ConfigProblem("", None, "; ".join(err.problems),
                                             "config-unreadable", "site"))
        return {}
    tables, problems = check_layer(raw, "site")
    result.problems += problems
    return tables


def load_config(path: Path | None = None) -> EffectiveConfig:
    """The effective settings from every layer; never raises, never fails.

    Every problem is logged (ERROR) and returned; a kiosk with problems runs on
    the fallback values and says which keys in its health report.
    """
    result = EffectiveConfig(Settings(), {})
    layers = {"site": _site_layer(result), "file": _file_layer(path or config_path(), result),
              "fleet": _fleet_layer(result)}
    merged: dict[str, Any] = {}
    for name, tables in layers.items():
        if tables:
            result.layers[name] = tables
        _merge(merged, tables)
    for problem in result.problems:
        logger.error("config: %s (%s)", problem, problem.source or "?")
    try:
        result.settings = build(merged)
    except Exception as exc:  # each layer passed alone; a bug here must not stop the kiosk
        logger.exception("config layers do not combine; using defaults")
        result.notes.append(f"layers do not combine ({exc}); using built-in defaults")
        merged = {}
    result.origins = {key: next((name for name in reversed(LAYERS[1:])
                                 if _get(layers[name], key) is not _MISSING), "default")
                      for key in leaf_keys()} if merged else dict.fromkeys(leaf_keys(), "default")
    return result


def load(path: Path | None = None) -> tuple[Settings, list[str]]:
    """Settings and warning lines (empty when all is well); see :func:`load_config`."""
    result = load_config(path)
    return result.settings, result.warnings


_MISSING = object()


def _get(tables: Mapping[str, Any], key: str) -> Any:
    value: Any = tables
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _set(tables: dict[str, Any], key: str, value: Any) -> None:
    *sections, leaf = key.split(".")
    table = tables
    for section in sections:
        table = table.setdefault(section, {})
    table[leaf] = value


def _merge(into: dict[str, Any], tables: Mapping[str, Any]) -> None:
    for key, value in tables.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            into[key].update(value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value
