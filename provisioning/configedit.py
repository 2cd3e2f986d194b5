"""Validated edits of ``kiosk.toml``: get a key, set a key.

``set`` parses the value as a TOML literal (``2``, ``1.5``, ``true``,
``["a", "b"]``) and falls back to a plain string; a value whose field is a
string is kept as text even if it looks like a number. The whole new file is
validated with :func:`appliance.settings.from_dict` before it is written; the
write is atomic and the previous file is kept as ``kiosk.toml.prev``.
Comments and layout of a hand-edited file are preserved (tomlkit).
"""

from __future__ import annotations

import dataclasses
import shutil
import typing
from pathlib import Path
from typing import Any

import tomlkit

from appliance import settings as app_settings
from provisioning.errors import ProvisionError
from provisioning.paths import atomic_write, config_path


def previous_path(path: Path | None = None) -> Path:
    path = path or config_path()
    return path.with_name(path.name + ".prev")


def field_type(key: str) -> Any:
    """The declared type of a dotted settings key (``asr.beam_size`` -> int)."""
    cls: Any = app_settings.Settings
    hint: Any = None
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not dataclasses.is_dataclass(cls):
            raise ProvisionError(f"unknown setting {key!r}", code="config-unknown-key")
        hints = typing.get_type_hints(cls)
        if part not in hints:
            known = ", ".join(sorted(hints))
            where = ".".join(parts[:i]) or "the top level"
            raise ProvisionError(f"unknown setting {key!r}", code="config-unknown-key",
                                 hint=f"keys at {where}: {known}")
        hint = hints[part]
        cls = hint
    return hint


def parse_value(raw: str, hint: Any) -> Any:
    """A command-line value as the field's type (TOML literal, else text)."""
    if hint is str:
        return raw
    try:
        return tomlkit.parse(f"v = {raw}")["v"].unwrap()  # type: ignore[union-attr]
    except Exception:  # tomlkit raises several parse error types
        return raw


def current_value(key: str) -> Any:
    """The effective value (defaults filled in) of a dotted key, or the whole config."""
    loaded, _warnings = app_settings.load(config_path())
    value: Any = dataclasses.asdict(loaded)
    if not key:
        return value
    field_type(key)
    for part in key.split("."):
        value = value[part]
    return value


def read_document(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise ProvisionError(f"{path} is not valid TOML: {exc}", code="config-invalid",
                             hint=f"fix it by hand, or restore {previous_path(path).name}") from exc


def set_value(key: str, raw: str) -> dict[str, Any]:
    """Set ``key`` to ``raw`` in kiosk.toml (validated, atomic, previous kept)."""
    path = config_path()
    hint = field_type(key)
    if dataclasses.is_dataclass(hint):
        raise ProvisionError(f"{key!r} is a section; set one of its keys",
                             code="config-unknown-key")
    value = parse_value(raw, hint)
    doc = read_document(path)
    *sections, leaf = key.split(".")
    table: Any = doc
    for section in sections:
        if section not in table:
            table[section] = tomlkit.table()
        table = table[section]
    old = table.get(leaf)
    old_plain = old.unwrap() if hasattr(old, "unwrap") else old
    if old_plain == value:
        return {"key": key, "value": value, "changed": False, "path": str(path)}
    table[leaf] = value
    try:
        app_settings.from_dict(doc.unwrap(), str(path))
    except app_settings.SettingsError as err:
        raise ProvisionError("; ".join(err.problems), code="config-invalid",
                             hint=f"{key} expects {getattr(hint, '__name__', hint)}") from err
    if path.exists():
        shutil.copy2(path, previous_path(path))
    atomic_write(path, tomlkit.dumps(doc), mode=0o644)
    return {"key": key, "value": value, "previous": old_plain, "changed": True, "path": str(path),
            "backup": str(previous_path(path)) if previous_path(path).exists() else None}
