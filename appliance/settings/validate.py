"""Check kiosk.toml tables against the schema; every refusal names key, value and what is allowed.

One checker for every way a value reaches the kiosk: the kiosk.toml file, a site
pack's ``settings.toml``, ``kiosk-provision config set`` and the fleet's pushed
config. It runs the pydantic validator built from :mod:`appliance.settings.schema`
and turns each error into a :class:`ConfigProblem` whose ``allowed`` is read
from the field's own declaration (``1..65535``, ``one of: whisper, vosk``), so a
message never drifts from the rule.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from appliance.settings.schema import Settings

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "text"}


@dataclass(frozen=True)
class ConfigProblem:
    """One refused value: ``key`` (dotted), the ``value`` given, and what is ``allowed``.

    ``code`` is stable for scripts and telemetry: ``config-invalid`` (bad value),
    ``config-unknown-key`` (no such setting) or ``config-not-table`` (a section
    given as a plain value). ``source`` says which layer or file it came from.
    """

    key: str
    value: Any
    allowed: str
    code: str = "config-invalid"
    source: str = ""

    def __str__(self) -> str:
        if self.code == "config-unknown-key":
            return f"{self.key}: unknown key ({self.allowed})"
        if self.code == "config-unreadable":
            return f"{self.source}: {self.allowed}"
        return f"{self.key} = {self.value!r} refused: allowed {self.allowed}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form (health reports, ``cfg/reported`` problems, ``--json``)."""
        value = self.value if isinstance(self.value, (str, int, float, bool)) else repr(
            self.value)[:200]
        return {"key": self.key, "value": value, "allowed": self.allowed, "code": self.code,
                "source": self.source}


class SettingsError(ValueError):
    """Settings have problems; ``problems`` names each key (text), ``details`` as records."""

    code = "config-invalid"

    def __init__(self, source: str, problems: list[str],
                 details: list[ConfigProblem] | None = None) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems
        self.details = details or []


@functools.cache
def _adapter() -> TypeAdapter[Settings]:
    # built on first use: importing the settings must stay cheap for one-shot commands
    return TypeAdapter(Settings)


def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def field_hint(key: str) -> Any:
    """The declared annotation of a dotted key (``tts.length_scale``); KeyError if unknown."""
    cls: Any = Settings
    hint: Any = None
    for part in key.split("."):
        if not dataclasses.is_dataclass(cls):
            raise KeyError(key)
        hints = _hints(cls)
        if part not in hints:
            raise KeyError(key)
        hint = cls = hints[part]
    return hint


def known_keys(prefix: str = "") -> list[str]:
    """Setting names at ``prefix`` (a section, or the top level when empty)."""
    cls = Settings if not prefix else field_hint(prefix)
    return sorted(_hints(cls)) if dataclasses.is_dataclass(cls) else []


def leaf_keys() -> list[str]:
    """Every dotted key the schema knows, in declaration order (``site``, ``audio.backend``...)."""
    keys: list[str] = []
    for top in dataclasses.fields(Settings):
        hint = _hints(Settings)[top.name]
        if dataclasses.is_dataclass(hint):
            keys += [f"{top.name}.{f.name}" for f in dataclasses.fields(hint)]  # type: ignore[arg-type]
        else:
            keys.append(top.name)
    return keys


def describe(hint: Any) -> str:
    """What a field allows, in words, from its annotation alone."""
    base, infos = hint, []
    if typing.get_origin(hint) is typing.Annotated:
        base, *meta = typing.get_args(hint)
        infos = [m for m in meta if isinstance(m, FieldInfo)]
    if dataclasses.is_dataclass(base):
        return f"a table of {', '.join(known_keys_of(base))}"
    if typing.get_origin(base) is Literal:
        return "one of: " + ", ".join(str(a) for a in typing.get_args(base))
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        return f"a list of {describe(item)}"
    for info in infos:
        if info.description:
            return info.description
    bounds: dict[str, Any] = {}
    for info in infos:
        for meta in info.metadata:
            for attr in ("ge", "gt", "le", "lt"):
                if getattr(meta, attr, None) is not None:
                    bounds[attr] = getattr(meta, attr)
    name = _NAMES.get(base, getattr(base, "__name__", str(base)))
    if "ge" in bounds and "le" in bounds:
        return f"{name} {bounds['ge']}..{bounds['le']}"
    parts = [f"{sym} {bounds[attr]}" for attr, sym in
             (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")) if attr in bounds]
    return f"{name} {' and '.join(parts)}" if parts else name


def known_keys_of(cls: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _field_path(loc: tuple[Any, ...]) -> list[str]:
    """The dotted-key parts of an error location (list indexes are dropped)."""
    path: list[str] = []
    cls: Any = Settings
    for part in loc:
        if not isinstance(part, str) or not dataclasses.is_dataclass(cls):
            break
        path.append(part)
        cls = _hints(cls).get(part)
    return path


def _lookup(data: Mapping[str, Any], path: list[str]) -> Any:
    value: Any = data
    for part in path:
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _problem(err: Any, data: Mapping[str, Any], source: str) -> ConfigProblem:
    path = _field_path(tuple(err["loc"]))
    key = ".".join(path)
    value = _lookup(data, path)
    if err["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        where = ".".join(path[:-1])
        known = known_keys(where)
        return ConfigProblem(key, value, f"keys {'in [' + where + ']' if where else 'at the top'}"
                             f": {', '.join(known)}", "config-unknown-key", source)
    hint = field_hint(key)
    code = "config-not-table" if dataclasses.is_dataclass(hint) else "config-invalid"
    return ConfigProblem(key, value, describe(hint), code, source)


def expand_dotted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``{"tts.length_scale": 1.1}`` -> ``{"tts": {"length_scale": 1.1}}``; tables pass through."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        *sections, leaf = str(key).split(".")
        table = out
        for section in sections:
            nxt = table.setdefault(section, {})
            if not isinstance(nxt, dict):
                nxt = table[section] = {}
            table = nxt
        if isinstance(value, Mapping) and isinstance(table.get(leaf), dict):
            table[leaf].update(value)
        else:
            table[leaf] = dict(value) if isinstance(value, Mapping) else value
    return out


def check_layer(data: Mapping[str, Any], source: str = "") -> tuple[dict[str, Any],
                                                                     list[ConfigProblem]]:
    """Split one layer into its valid part and a problem per refused key.

    The valid part keeps every key that passed, so a bad value falls back (to a
    lower layer or the default) on its own, never taking good neighbours with it.
    """
    clean = copy.deepcopy(dict(data))
    problems: list[ConfigProblem] = []
    for _ in range(4):  # each pass drops the refused keys; pydantic reports all in one go
        try:
            _adapter().validate_python(clean)
            return clean, problems
        except ValidationError as exc:
            errors = exc.errors()
        seen: set[str] = set()
        for err in errors:
            problem = _problem(err, data, source)
            if problem.key in seen:
                continue
            seen.add(problem.key)
            problems.append(problem)
            _drop(clean, problem.key.split("."))
    return {}, problems  # pragma: no cover - dropping a key always removes its error


def _drop(data: dict[str, Any], path: list[str]) -> None:
    table: Any = data
    for part in path[:-1]:
        table = table.get(part) if isinstance(table, dict) else None
    if isinstance(table, dict):
        table.pop(path[-1], None)


def validate_overrides(mapping: Mapping[str, Any], source: str = "") -> list[ConfigProblem]:
    """Every problem of a partial config; an empty list means it may be applied.

    Public and stable: the fleet-config applier, ``config set`` and the site pack
    checks call it. ``mapping`` holds kiosk.toml tables
    (``{"tts": {"length_scale": 1.15}}``); dotted keys (``{"tts.length_scale": 1.15}``)
    are accepted too. Keys not given keep their current value, so only the given
    ones are judged. Each :class:`ConfigProblem` names ``key``, ``value`` and
    ``allowed`` (``as_dict()`` for JSON); ``source`` is copied into each. Never
    raises on bad input: a non-mapping is itself one problem.
    """
    if not isinstance(mapping, Mapping):
        return [ConfigProblem("", mapping, "a table of settings", "config-not-table", source)]
    return check_layer(expand_dotted(mapping), source)[1]


def from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Settings:
    """Validate a whole kiosk.toml document into :class:`Settings`, or raise SettingsError."""
    clean, problems = check_layer(expand_dotted(data) if isinstance(data, Mapping) else {},
                                  source)
    if not isinstance(data, Mapping):
        problems = [ConfigProblem("", data, "a table of settings", "config-not-table", source)]
    if problems:
        raise SettingsError(source, [str(p) for p in problems], problems)
    return _adapter().validate_python(clean)


def build(data: Mapping[str, Any]) -> Settings:
    """Settings from tables already checked by :func:`check_layer` (defaults filled in)."""
    return _adapter().validate_python(dict(data))
