"""Validated edits of ``kiosk.toml``: get (as TOML, with origins), set, unset.

``set`` parses the value as a TOML literal (``2``, ``1.5``, ``true``,
``["a", "b"]``) and falls back to a plain string; a value whose field is text
(or one of a set of words) is kept as text even if it looks like a number. The
value is checked by the kiosk's one schema
(:func:`appliance.settings.validate_overrides`): a refused value names the key,
the value and what is allowed, and nothing is written. Writes are atomic, the
previous file is kept as ``kiosk.toml.prev``, and a file that validates cleanly
becomes the last good copy. Comments and layout of a hand-edited file are
preserved (tomlkit).
"""

from __future__ import annotations

import dataclasses
import shutil
import typing
from pathlib import Path
from typing import Any, Literal

import tomlkit

from appliance import settings as app_settings
from provisioning.errors import ProvisionError
from provisioning.paths import atomic_write, config_path


def previous_path(path: Path | None = None) -> Path:
    path = path or config_path()
    return path.with_name(path.name + ".prev")


def field_type(key: str) -> Any:
    """The declared annotation of a dotted settings key; ``config-unknown-key`` if none."""
    try:
        return app_settings.field_hint(key)
    except KeyError:
        parts = key.split(".")
        where = ""
        for i in range(len(parts) - 1, 0, -1):  # the deepest section that exists
            try:
                if dataclasses.is_dataclass(app_settings.field_hint(".".join(parts[:i]))):
                    where = ".".join(parts[:i])
                    break
            except KeyError:
                continue
        known = ", ".join(app_settings.known_keys(where))
        raise ProvisionError(f"unknown setting {key!r}", code="config-unknown-key",
                             hint=f"keys in {'[' + where + ']' if where else 'the top level'}: "
                                  f"{known}") from None


def _is_text(hint: Any) -> bool:
    if typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is Literal:
        return all(isinstance(a, str) for a in typing.get_args(hint))
    return hint is str


def parse_value(raw: str, hint: Any) -> Any:
    """A command-line value as the field's type (TOML literal, else text)."""
    if _is_text(hint):
        return raw
    try:
        return tomlkit.parse(f"v = {raw}")["v"].unwrap()  # type: ignore[union-attr]
    except Exception:  # tomlkit raises several parse error types
        return raw


def effective(key: str = "") -> tuple[Any, dict[str, str], app_settings.EffectiveConfig]:
    """The effective value of ``key`` (a leaf, a section or everything) and its origins."""
    result = app_settings.load_config(config_path())
    if key:
        field_type(key)
    value: Any = dataclasses.asdict(result.settings)
    for part in key.split(".") if key else []:
        value = value[part]
    origins = {k: v for k, v in result.origins.items()
               if not key or k == key or k.startswith(key + ".")}
    return value, origins, result


def current_value(key: str) -> Any:
    """The effective value (defaults and every layer applied) of a dotted key, or all."""
    return effective(key)[0]


def render_toml(key: str, value: Any, origins: dict[str, str] | None = None) -> str:
    """``value`` of ``key`` as TOML; with ``origins`` each value carries ``# origin``."""
    doc = tomlkit.document()
    if key:
        *sections, leaf = key.split(".")
        tables: dict[str, Any] = {leaf: value}
        for section in reversed(sections):
            tables = {section: tables}
    else:
        tables = value
    _fill(doc, tables, "", origins)
    return tomlkit.dumps(doc)


def _fill(container: Any, tables: dict[str, Any], prefix: str,
          origins: dict[str, str] | None) -> None:
    scalars = {k: v for k, v in tables.items() if not isinstance(v, dict)}
    for name, value in scalars.items():  # plain keys first: TOML puts them above the tables
        item = tomlkit.item(value)
        full = f"{prefix}{name}"
        if origins is not None and full in origins:
            item.comment(origins[full])
        container.add(name, item)
    for name, value in tables.items():
        if isinstance(value, dict):
            table = tomlkit.table()
            _fill(table, value, f"{prefix}{name}.", origins)
            container.add(name, table)


def read_document(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        return tomlkit.document()
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as exc:
        raise ProvisionError(f"{path} is not valid TOML: {exc}", code="config-invalid",
                             hint=f"fix it by hand, or restore {previous_path(path).name}") from exc


def _write(path: Path, doc: tomlkit.TOMLDocument) -> None:
    if path.exists():
        shutil.copy2(path, previous_path(path))
    text = tomlkit.dumps(doc)
    atomic_write(path, text, mode=0o644)
    if not app_settings.validate_overrides(doc.unwrap()):
        app_settings.remember_good(path)


def _problems(doc: tomlkit.TOMLDocument) -> list[str]:
    return [str(p) for p in app_settings.validate_overrides(doc.unwrap())]


def set_value(key: str, raw: str) -> dict[str, Any]:
    """Set ``key`` to ``raw`` in kiosk.toml (validated, atomic, previous kept)."""
    path = config_path()
    hint = field_type(key)
    if dataclasses.is_dataclass(hint):
        raise ProvisionError(f"{key!r} is a section; set one of its keys",
                             code="config-unknown-key",
                             hint="keys: " + ", ".join(app_settings.known_keys(key)))
    value = parse_value(raw, hint)
    problems = app_settings.validate_overrides({key: value}, source="config set")
    if problems:
        raise ProvisionError(str(problems[0]), code="config-invalid",
                             hint=f"{key} allows {problems[0].allowed}")
    doc = read_document(path)
    *sections, leaf = key.split(".")
    table: Any = doc
    for section in sections:
        if section not in table:
            table[section] = tomlkit.table()
        table = table[section]
    old = table.get(leaf)
    old_plain = old.unwrap() if hasattr(old, "unwrap") else old
    if old_plain == value and type(old_plain) is type(value):
        return {"key": key, "value": value, "changed": False, "path": str(path),
                "problems": _problems(doc)}
    table[leaf] = value
    _write(path, doc)
    return {"key": key, "value": value, "previous": old_plain, "changed": True, "path": str(path),
            "backup": str(previous_path(path)) if previous_path(path).exists() else None,
            "problems": _problems(doc)}


def unset_value(key: str) -> dict[str, Any]:
    """Remove ``key`` from kiosk.toml so it falls back to the layers below (or the default).

    A key the schema does not know may be removed too when the file holds it (a typo
    the loader keeps complaining about).
    """
    path = config_path()
    doc = read_document(path)
    *sections, leaf = key.split(".")
    table: Any = doc
    chain: list[tuple[Any, str]] = []
    for section in sections:
        if not isinstance(table, dict) or section not in table:
            table = None
            break
        chain.append((table, section))
        table = table[section]
    if not isinstance(table, dict) or leaf not in table:
        field_type(key)  # an unknown key that is not in the file either: say so
        return {"key": key, "changed": False, "path": str(path), "problems": _problems(doc)}
    old = table[leaf]
    previous = old.unwrap() if hasattr(old, "unwrap") else old
    del table[leaf]
    for parent, name in reversed(chain):  # drop tables the removal left empty
        if len(parent[name]) == 0:
            del parent[name]
    _write(path, doc)
    return {"key": key, "previous": previous, "changed": True, "path": str(path),
            "backup": str(previous_path(path)), "problems": _problems(doc)}
